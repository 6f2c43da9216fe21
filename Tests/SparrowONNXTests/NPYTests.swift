import Foundation
import Testing
@testable import SparrowNPY

/// .npy parsing and writing, checked against files numpy wrote (Tests/Fixtures/npy/make_npy.py)
/// and against hand-written headers.
@Suite struct NPYTests {
    struct Valid {
        let file: String, version: Int, dtype: String, shape: [Int], dataOffset: Int, fileSize: Int
        let values: [NSNumber], byteIdentical: Bool
    }

    static func expected() throws -> (valid: [Valid], invalid: [[String: Any]]) {
        let json = try #require(try Fixtures.json("npy/expected.json") as? [String: Any])
        let valid = try #require(json["valid"] as? [[String: Any]]).map { e in
            Valid(file: e["file"] as! String, version: (e["version"] as! [Int])[0], dtype: e["dtype"] as! String,
                  shape: e["shape"] as! [Int], dataOffset: e["data_offset"] as! Int, fileSize: e["file_size"] as! Int,
                  values: e["values"] as! [NSNumber], byteIdentical: e["byte_identical_to_writer"] as! Bool)
        }
        return (valid, try #require(json["invalid"] as? [[String: Any]]))
    }

    static func parse(_ bytes: [UInt8]) -> Result<NPYHeader, NPYError> {
        bytes.withUnsafeBytes { raw in Result { () throws(NPYError) in try parseNPYHeader(raw) } }
    }

    /// A version-1.0 file with the given header text, padded the way numpy pads, then `data`.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        var text = Array(header.utf8)
        let padding = 64 - ((10 + text.count + 1) % 64)
        text += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }

    // MARK: files numpy wrote

    @Test func numpyFilesParseToWhatNumpyReports() throws {
        let (valid, _) = try Self.expected()
        #expect(valid.count >= 12)
        for e in valid {
            let bytes = try Fixtures.bytes("npy/" + e.file)
            let header = try Self.parse(bytes).get()
            #expect(header.dtype == NPYDType(name: e.dtype), "\(e.file)")
            #expect(header.rank == e.shape.count, "\(e.file)")
            #expect((0..<header.rank).map { header.dim($0) } == e.shape, "\(e.file)")
            #expect(header.dataOffset == e.dataOffset, "\(e.file)")
            #expect(header.elementCount == e.shape.reduce(1, *), "\(e.file)")
            #expect(header.dataOffset + header.dataByteCount == e.fileSize, "\(e.file)")
            #expect(Int(header.majorVersion) == e.version, "\(e.file)")

            let array = try NPYArray.read(path: Fixtures.url("npy/" + e.file).path)
            #expect(array.shape == e.shape)
            switch array.dtype {
            case .float32: #expect(array.floats() == e.values.map { Float($0.doubleValue) }, "\(e.file)")
            case .int64: #expect(array.int64s() == e.values.map { $0.int64Value }, "\(e.file)")
            case .int32: #expect(array.int32s() == e.values.map { $0.int32Value }, "\(e.file)")
            case .int8: #expect(array.int8s() == e.values.map { $0.int8Value }, "\(e.file)")
            case .uint8: #expect(array.uint8s() == e.values.map { $0.uint8Value }, "\(e.file)")
            }
        }
    }

    @Test func writerReproducesNumpyBytesExactly() throws {
        let (valid, _) = try Self.expected()
        let identical = valid.filter(\.byteIdentical)
        #expect(identical.count >= 10)
        for e in identical {
            let bytes = try Fixtures.bytes("npy/" + e.file)
            let dtype = try #require(NPYDType(name: e.dtype))
            let length = e.shape.withUnsafeBufferPointer { npyHeaderLength(dtype: dtype, shape: $0) }
            #expect(length == e.dataOffset, "\(e.file)")
            var header = [UInt8](repeating: 0xAA, count: e.dataOffset + 16)
            let written = e.shape.withUnsafeBufferPointer { dims in
                header.withUnsafeMutableBytes { writeNPYHeader(dtype: dtype, shape: dims, into: $0) }
            }
            #expect(written == e.dataOffset, "\(e.file)")
            #expect(Array(header[..<e.dataOffset]) == Array(bytes[..<e.dataOffset]), "\(e.file)")
            #expect(header[e.dataOffset...].allSatisfy { $0 == 0xAA }, "writer touched bytes past the header")

            // Whole file through the typed constructors: values from numpy's JSON, bytes from numpy.
            let array: NPYArray
            switch dtype {
            case .float32: array = NPYArray(floats: e.values.map { Float($0.doubleValue) }, shape: e.shape)
            case .int64: array = NPYArray(int64s: e.values.map { $0.int64Value }, shape: e.shape)
            case .int32: array = NPYArray(int32s: e.values.map { $0.int32Value }, shape: e.shape)
            case .int8: array = NPYArray(int8s: e.values.map { $0.int8Value }, shape: e.shape)
            case .uint8: array = NPYArray(uint8s: e.values.map { $0.uint8Value }, shape: e.shape)
            }
            #expect(array.encoded() == bytes, "\(e.file)")
        }
    }

    @Test func writeThenReadFileRoundTrips() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sparrow-npy-\(UUID()).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let original = NPYArray(floats: [1, -2.5, .pi, 0, 1e-30, -7], shape: [3, 1, 2])
        try original.write(path: path)
        let back = try NPYArray.read(path: path)
        #expect(back == original)
        #expect(back.int64s() == nil, "typed accessor for another dtype must refuse")
    }

    @Test func numpyFilesSparrowRejectsGiveTheirReason() throws {
        let (_, invalid) = try Self.expected()
        for e in invalid {
            let name = e["file"] as! String
            let bytes = try Fixtures.bytes("npy/" + name)
            guard case .failure(let error) = Self.parse(bytes) else {
                Issue.record("\(name) parsed but should fail with \(e["error"]!)"); continue
            }
            #expect("\(error.kind)" == e["error"] as! String, "\(name)")
            if let need = e["need"] as? Int, let have = e["have"] as? Int {
                #expect(error.value == need && error.bound == have)
                #expect(error.description == "data truncated: need \(need) bytes, have \(have)")
            }
            // The host message names the file and, for dtype errors, the offending dtype text.
            do {
                _ = try NPYArray.read(path: Fixtures.url("npy/" + name).path)
                Issue.record("NPYArray.read accepted \(name)")
            } catch {
                #expect(error.npyError == Self.parse(bytes).failure)
                #expect(error.description.contains(name))
                if let descr = e["descr"] as? String { #expect(error.description.contains(descr), "\(error)") }
            }
        }
    }

    @Test func fortranOrderMessageSaysWhatToDo() throws {
        let error = try #require(Self.parse(try Fixtures.bytes("npy/fortran_order.npy")).failure)
        #expect(error.description.contains("np.ascontiguousarray"))
    }

    @Test func missingFileErrorNamesTheFile() {
        #expect(throws: NPYFileError.self) { try NPYArray.read(path: "/nonexistent/calib.npy") }
        do { _ = try NPYArray.read(path: "/nonexistent/calib.npy") } catch {
            #expect(error.description.hasPrefix("/nonexistent/calib.npy: "))
        }
    }

    // MARK: hand-written headers

    @Test(arguments: [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [2, 3]),
        ("{\"shape\": (2,3,), \"fortran_order\": False, \"descr\": \"<f4\"}", [2, 3]),
        ("{ 'fortran_order' :False ,'descr':'<f4','shape':( 6 , ) }", [6]),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 6L), }", [1, 6]),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,6), }", [1, 1, 1, 1, 1, 6]),
    ])
    func headerSpellingsNumpyAccepts(header: String, shape: [Int]) throws {
        let data = [UInt8](repeating: 7, count: 24)
        let parsed = try Self.parse(Self.file(header: header, data: data)).get()
        #expect(parsed.dtype == .float32)
        #expect((0..<parsed.rank).map { parsed.dim($0) } == shape)
        #expect(parsed.elementCount == 6)
        #expect(parsed.dataOffset % 64 == 0)
    }

    @Test(arguments: [
        ("'|i1'", NPYDType.int8), ("'<i1'", .int8), ("'>i1'", .int8), ("'|u1'", .uint8), ("'>u1'", .uint8),
        ("'<i4'", .int32), ("'<i8'", .int64), ("'<f4'", .float32),
    ])
    func dtypesAccepted(descr: String, dtype: NPYDType) throws {
        let bytes = Self.file(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (2,), }",
                              data: [UInt8](repeating: 0, count: 16))
        #expect(try Self.parse(bytes).get().dtype == dtype)
    }

    @Test(arguments: [
        ("{'descr': '>i8', 'fortran_order': False, 'shape': (), }", NPYError.Kind.bigEndianDType),
        ("{'descr': '=f4', 'fortran_order': False, 'shape': (), }", .unsupportedDType),
        ("{'descr': '|f4', 'fortran_order': False, 'shape': (), }", .unsupportedDType),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (), }", .unsupportedDType),
        ("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", .unsupportedDType),
        ("{'descr': 'float32', 'fortran_order': False, 'shape': (), }", .unsupportedDType),
        ("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (), }", .structuredDType),
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (), }", .fortranOrder),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (), }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': [5], }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (5,,), }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", .badDimension),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", .badDimension),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", .sizeOverflow),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1), }", .rankTooLarge),
        ("{'descr': '<f4', 'fortran_order': False, }", .missingKey),
        ("{'descr': '<f4', 'shape': (), }", .missingKey),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }", .duplicateKey),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}", .unknownKey),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': ()} trailing", .malformedHeader),
        ("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (), }", .malformedHeader),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (), ", .malformedHeader),
        ("", .malformedHeader),
    ])
    func headersRejectedWithTheirReason(header: String, kind: NPYError.Kind) throws {
        let bytes = Self.file(header: header, data: [UInt8](repeating: 0, count: 4))
        let error = try #require(Self.parse(bytes).failure, "accepted: \(header)")
        #expect(error.kind == kind, "\(header): \(error)")
        #expect(error.offset >= 0 && error.offset <= bytes.count)
    }

    @Test func rankTooLargeReportsRankAndLimit() throws {
        let bytes = Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1), }")
        let error = try #require(Self.parse(bytes).failure)
        #expect(error.value == 7 && error.bound == 6)
    }

    @Test func preambleErrors() throws {
        let good = Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: [0, 0, 0, 0])
        #expect(Self.parse(Array(good[..<9])).failure?.kind == .tooShort)
        var bad = good; bad[1] = UInt8(ascii: "n")
        #expect(Self.parse(bad).failure?.kind == .badMagic)
        var v4 = good; v4[6] = 4
        #expect(Self.parse(v4).failure == NPYError(.unsupportedVersion, offset: 6, value: 4 * 256))
        var v11 = good; v11[7] = 1
        #expect(Self.parse(v11).failure?.kind == .unsupportedVersion)
        var huge = good; huge[8] = 0xFF; huge[9] = 0xFF
        #expect(Self.parse(huge).failure == NPYError(.headerTruncated, offset: 8, value: 0xFFFF, bound: good.count - 10))
        // Version 2 with a u32 length near 4 GiB must not overflow a 32-bit Int.
        var v2 = Array(good[..<8]) + [0xFF, 0xFF, 0xFF, 0xFF] + Array(good[10...]); v2[6] = 2
        #expect(Self.parse(v2).failure?.kind == .headerTruncated)
        #expect(Self.parse(Array(v2[..<11])).failure?.kind == .tooShort)
    }

    @Test func everyTruncationOfANumpyFileIsRejected() throws {
        let bytes = try Fixtures.bytes("npy/f32_2x3.npy")
        #expect((try? Self.parse(bytes).get()) != nil)
        for n in 0..<bytes.count {
            #expect(Self.parse(Array(bytes[..<n])).failure != nil, "prefix of \(n) bytes accepted")
        }
    }

    @Test func bitFlipsNeverCrashOrOverreach() throws {
        for name in ["f32_2x3.npy", "i32_rank6.npy", "i32_v3.npy"] {
            let bytes = try Fixtures.bytes("npy/" + name)
            var rejected = 0
            for i in 0..<min(bytes.count, 128) {
                for bit in 0..<8 {
                    var flipped = bytes
                    flipped[i] ^= 1 << bit
                    switch Self.parse(flipped) {
                    case .success(let h):
                        #expect(h.dataOffset + h.dataByteCount <= flipped.count)
                    case .failure(let e):
                        rejected += 1
                        #expect(e.offset >= 0 && e.offset <= flipped.count)
                    }
                }
            }
            #expect(rejected > 100, "\(name): only \(rejected) flips rejected")
        }
    }

    @Test func writerRefusesWhatItCannotWrite() {
        let seven = [1, 1, 1, 1, 1, 1, 1]
        #expect(seven.withUnsafeBufferPointer { npyHeaderLength(dtype: .int8, shape: $0) } == nil)
        #expect([-1].withUnsafeBufferPointer { npyHeaderLength(dtype: .int8, shape: $0) } == nil)
        var small = [UInt8](repeating: 0, count: 127)
        let written = [2, 3].withUnsafeBufferPointer { dims in
            small.withUnsafeMutableBytes { writeNPYHeader(dtype: .float32, shape: dims, into: $0) }
        }
        #expect(written == nil)
        #expect(small.allSatisfy { $0 == 0 })
        #expect(NPYArray(dtype: .float32, shape: [2], data: [0, 0, 0]).encoded() == nil)
    }

    @Test func writtenHeadersParseBack() throws {
        for shape in [[], [0], [7], [3, 5], [1, 2, 3, 4, 5, 6], [1000000, 0, 12]] as [[Int]] {
            for dtype in [NPYDType.float32, .int64, .int8, .uint8, .int32] {
                let count = shape.reduce(1, *)
                let array = NPYArray(dtype: dtype, shape: shape, data: [UInt8](repeating: 1, count: count * dtype.byteWidth))
                let bytes = try #require(array.encoded())
                let header = try Self.parse(bytes).get()
                #expect(header.dataOffset % 64 == 0)
                #expect(header.dtype == dtype && (0..<header.rank).map { header.dim($0) } == shape)
                #expect(try NPYArray(bytes: bytes) == array)
            }
        }
    }
}

extension NPYDType {
    init?(name: String) {
        switch name {
        case "float32": self = .float32
        case "int64": self = .int64
        case "int32": self = .int32
        case "int8": self = .int8
        case "uint8": self = .uint8
        default: return nil
        }
    }
}


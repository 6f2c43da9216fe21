import Testing
import SparrowFormat
@testable import SparrowRuntime

/// `codesAsFloats`: an int8/uint8 model input's own codes (an .npy of its dtype) become floats that
/// `Interpreter.loadInput` quantizes back to the very same codes, checked end to end through the
/// interpreter's input buffer for every code, over scales from 2^-10 to 10^3 and zero points
/// across the range; a scale whose products leave float32 is reported, not carried wrongly.
@Suite struct InputCodesTests {
    /// A Requantize of 256 values (the input is what matters), int8 or uint8 input.
    static func model(scale: Float, zeroPoint: Int32, unsigned: Bool = false) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input([1, 256], scale: scale, zeroPoint: zeroPoint), y = m.output([1, 256], scale: scale)
        if unsigned { m.w.tensors[Int(x)].dtypeCode = DType.uint8.rawValue }
        return m.bytes(.requantize, inputs: [x], outputs: [y], params: RescaleParamRecord(Rescale(multiplier: 1 << 30, shift: 1)).words)
    }

    @Test(arguments: [Float(1.0 / 1024), 1.0 / 256, 0.0123, 0.5, 3.7, 1000])
    func everyCodeComesBack(scale: Float) throws {
        for (zeroPoint, unsigned) in [(Int32(-128), false), (-5, false), (0, false), (127, false), (0, true), (128, true), (255, true)] {
            let host = try HostModel(bytes: Self.model(scale: scale, zeroPoint: zeroPoint, unsigned: unsigned))
            withExtendedLifetime(host) {
                let codes: [UInt8] = (0..<256).map { UInt8($0) }   // every bit pattern: −128…127 or 0…255
                var floats = [Float](repeating: .nan, count: 256)
                let bad = codes.withUnsafeBytes { raw in
                    floats.withUnsafeMutableBufferPointer { out in
                        codesAsFloats(model: host.model, input: 0, codes: raw.baseAddress!, count: 256, into: out.baseAddress!)
                    }
                }
                #expect(bad == nil, "scale \(scale), zero point \(zeroPoint)")
                floats.withUnsafeBufferPointer { host.interpreter.loadInput(0, from: $0.baseAddress!) }
                let loaded = Array(UnsafeRawBufferPointer(host.interpreter.inputBuffer(0)))
                #expect(loaded == codes, "scale \(scale), zero point \(zeroPoint), unsigned \(unsigned)")
            }
        }
    }

    /// Scale 10^38, zero point −128: code −124 is 4 · 10^38, past float32's 3.4 · 10^38, so it would
    /// come back as 127; the first such element (index 4 of −128, −127, …) is reported.
    @Test func codesThatOverflowFloatAreReported() throws {
        let host = try HostModel(bytes: Self.model(scale: 1e38, zeroPoint: -128))
        withExtendedLifetime(host) {
            let codes: [Int8] = Array(-128...127)
            var floats = [Float](repeating: 0, count: 256)
            let bad = codes.withUnsafeBytes { raw in
                floats.withUnsafeMutableBufferPointer { out in
                    codesAsFloats(model: host.model, input: 0, codes: raw.baseAddress!, count: 256, into: out.baseAddress!)
                }
            }
            #expect(bad == 4)
        }
    }
}

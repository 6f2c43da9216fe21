// Host-side serializer. It lays out the sections in order, aligns them, and fills in the
// checksum. It checks nothing about the graph: the runtime's verifier is the single judge of
// validity, and the converter runs it on every file it writes.
#if !hasFeature(Embedded)

public struct ModelWriter {
    public var strings: [UInt8] = []
    public var tensors: [TensorRecord] = []
    public var operators: [OperatorRecord] = []
    public var indices: [Int32] = []
    public var params: [Int32] = []
    public var inputs: [Int32] = []
    public var outputs: [Int32] = []
    public var exits: [ExitRecord] = []
    public var sparse: [UInt8] = []
    public var constants: [UInt8] = []
    public var arenaSize: UInt32 = 0
    public var totalMacs: UInt64 = 0
    public var flags: UInt32 = 0

    public init() {}

    /// Appends UTF-8 text to the string table; returns (offset, length).
    public mutating func addString(_ s: String) -> (offset: UInt32, length: Int) {
        let offset = UInt32(strings.count)
        strings.append(contentsOf: Array(s.utf8))
        return (offset, s.utf8.count)
    }

    /// Appends constant bytes at a 16-byte aligned offset; returns the offset.
    public mutating func addConstant(_ data: [UInt8]) -> UInt32 {
        while constants.count % ModelFormat.sectionAlignment != 0 { constants.append(0) }
        let offset = UInt32(constants.count)
        constants.append(contentsOf: data)
        return offset
    }

    /// Appends an operator with its tensor indices and parameter words; returns its index.
    @discardableResult
    public mutating func addOperator(_ opcode: OpCode, inputs opInputs: [Int32], outputs opOutputs: [Int32],
                                     params opParams: [Int32], macs: UInt64 = 0, name: String = "") -> Int {
        let n = addString(name)
        let record = OperatorRecord(opcode: opcode, inputCount: opInputs.count, outputCount: opOutputs.count,
                                    paramCount: opParams.count, indicesStart: UInt32(indices.count),
                                    paramsStart: UInt32(params.count), macs: macs,
                                    nameOffset: n.offset, nameLength: UInt32(n.length))
        indices.append(contentsOf: opInputs)
        indices.append(contentsOf: opOutputs)
        params.append(contentsOf: opParams)
        operators.append(record)
        return operators.count - 1
    }

    /// Appends an operator whose parameters are a typed record (Params/); returns its index.
    @discardableResult
    public mutating func addOperator(_ opcode: OpCode, inputs: [Int32], outputs: [Int32], params: some ParamRecord,
                                     macs: UInt64 = 0, name: String = "") -> Int {
        addOperator(opcode, inputs: inputs, outputs: outputs, params: params.words, macs: macs, name: name)
    }

    /// The file's bytes.
    public func serialize() -> [UInt8] {
        func align(_ n: Int) -> Int { (n + ModelFormat.sectionAlignment - 1) / ModelFormat.sectionAlignment * ModelFormat.sectionAlignment }
        var sizes = [Int](repeating: 0, count: Section.count)
        sizes[Int(Section.strings.rawValue)] = strings.count
        sizes[Int(Section.tensors.rawValue)] = tensors.count * TensorRecord.size
        sizes[Int(Section.operators.rawValue)] = operators.count * OperatorRecord.size
        sizes[Int(Section.indices.rawValue)] = indices.count * 4
        sizes[Int(Section.params.rawValue)] = params.count * 4
        sizes[Int(Section.inputs.rawValue)] = inputs.count * 4
        sizes[Int(Section.outputs.rawValue)] = outputs.count * 4
        sizes[Int(Section.exits.rawValue)] = exits.count * ExitRecord.size
        sizes[Int(Section.sparse.rawValue)] = sparse.count
        sizes[Int(Section.constants.rawValue)] = constants.count
        var offsets = [Int](repeating: 0, count: Section.count)
        var cursor = ModelFormat.headerSize
        for i in 0..<Section.count {
            cursor = align(cursor)
            offsets[i] = cursor
            cursor += sizes[i]
        }
        let fileSize = align(cursor)
        var out = [UInt8](repeating: 0, count: fileSize)
        out.withUnsafeMutableBytes { buf in
            let p = buf.baseAddress!
            let m = ModelFormat.magic
            p.storeBytes(of: m.0, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: m.1, toByteOffset: 1, as: UInt8.self)
            p.storeBytes(of: m.2, toByteOffset: 2, as: UInt8.self)
            p.storeBytes(of: m.3, toByteOffset: 3, as: UInt8.self)
            storeLE(p, HeaderField.versionMajor, ModelFormat.versionMajor)
            storeLE(p, HeaderField.versionMinor, operators.reduce(UInt16(1)) { v, o in
                max(v, o.opcode.map(ModelFormat.minorVersion(introducing:)) ?? ModelFormat.versionMinor)
            })
            storeLE(p, HeaderField.headerSize, UInt32(ModelFormat.headerSize))
            storeLE(p, HeaderField.fileSize, UInt32(fileSize))
            storeLE(p, HeaderField.flags, flags)
            storeLE(p, HeaderField.arenaSize, arenaSize)
            storeLE(p, HeaderField.sectionCount, UInt32(Section.count))
            for i in 0..<Section.count {
                storeLE(p, HeaderField.sectionTable + i * 8, UInt32(offsets[i]))
                storeLE(p, HeaderField.sectionTable + i * 8 + 4, UInt32(sizes[i]))
            }
            storeLE(p, HeaderField.totalMacs, totalMacs)

            func put(_ s: Section, _ data: [UInt8]) {
                data.withUnsafeBytes { src in
                    if src.count > 0 { (p + offsets[Int(s.rawValue)]).copyMemory(from: src.baseAddress!, byteCount: src.count) }
                }
            }
            func putWords(_ s: Section, _ words: [Int32]) {
                for (i, w) in words.enumerated() { storeLE(p, offsets[Int(s.rawValue)] + i * 4, w) }
            }
            put(.strings, strings)
            for (i, t) in tensors.enumerated() { t.encode(into: p + offsets[Int(Section.tensors.rawValue)] + i * TensorRecord.size) }
            for (i, o) in operators.enumerated() { o.encode(into: p + offsets[Int(Section.operators.rawValue)] + i * OperatorRecord.size) }
            putWords(.indices, indices)
            putWords(.params, params)
            putWords(.inputs, inputs)
            putWords(.outputs, outputs)
            for (i, e) in exits.enumerated() { e.encode(into: p + offsets[Int(Section.exits.rawValue)] + i * ExitRecord.size) }
            put(.sparse, sparse)
            put(.constants, constants)
            let sum = modelChecksum(UnsafeRawBufferPointer(buf))
            storeLE(p, HeaderField.checksum, sum)
        }
        return out
    }
}

#endif

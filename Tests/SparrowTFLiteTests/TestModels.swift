// Hand-built TFLite models for the reader tests, written with FlatBufferBuilder using the field
// indices of schema.fbs (so the builder, not the reader, encodes the schema facts under test).
import Foundation

enum TF {
    static func opcode(_ code: Int32, deprecated: Int8? = nil, custom: String? = nil, version: Int32 = 1) -> FBTable {
        var t = FBTable([2: .int32(version), 3: .int32(code)])
        t[0] = .int8(deprecated ?? Int8(clamping: code))
        if let custom { t[1] = .string(custom) }
        return t
    }

    static func quantization(scales: [Float], zeroPoints: [Int64], dimension: Int32 = 0) -> FBTable {
        FBTable([2: .floats(scales), 3: .int64s(zeroPoints), 6: .int32(dimension)])
    }

    static func tensor(_ name: String, _ shape: [Int32], type: Int8 = 9, buffer: UInt32 = 0,
                       quantization: FBTable? = nil) -> FBTable {
        var t = FBTable([0: .int32s(shape), 1: .int8(type), 2: .uint32(buffer), 3: .string(name)])
        if let quantization { t[4] = .table(quantization) }
        return t
    }

    /// An operator; `options` is (union type code, options table).
    static func op(_ opcodeIndex: UInt32, inputs: [Int32], outputs: [Int32], options: (UInt8, FBTable)? = nil) -> FBTable {
        var t = FBTable([0: .uint32(opcodeIndex), 1: .int32s(inputs), 2: .int32s(outputs)])
        if let (type, table) = options {
            t[3] = .uint8(type)
            t[4] = .table(table)
        }
        return t
    }

    static func buffer(_ data: [UInt8]? = nil) -> FBTable {
        data.map { FBTable([0: .bytes($0)]) } ?? FBTable()
    }

    static func model(opcodes: [FBTable], tensors: [FBTable], operators: [FBTable], buffers: [FBTable],
                      inputs: [Int32], outputs: [Int32], signatures: [FBTable]? = nil,
                      extra: [Int: FBValue] = [:]) -> FBTable {
        let subgraph = FBTable([0: .tables(tensors), 1: .int32s(inputs), 2: .int32s(outputs),
                                3: .tables(operators), 4: .string("main")])
        var root = FBTable([0: .uint32(3), 1: .tables(opcodes), 2: .tables([subgraph]),
                            3: .string("hand-built"), 4: .tables(buffers)])
        if let signatures { root[7] = .tables(signatures) }
        for (k, v) in extra { root[k] = v }
        return root
    }

    /// int8 conv: input [1,4,4,2] -> CONV_2D (per-channel filter [3,1,1,2], int32 bias) -> [1,4,4,3].
    static func convModel(options: (UInt8, FBTable)? = (1, FBTable([0: .int8(1), 1: .int32(1), 2: .int32(1), 3: .int8(3)]))) -> FBTable {
        let filter: [UInt8] = (0..<6).map { UInt8(bitPattern: Int8($0 - 3)) }
        let bias: [UInt8] = [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0]
        return model(
            opcodes: [opcode(3)],
            tensors: [
                tensor("input", [1, 4, 4, 2], quantization: quantization(scales: [0.5], zeroPoints: [-3])),
                tensor("filter", [3, 1, 1, 2], buffer: 1,
                       quantization: quantization(scales: [0.25, 0.125, 0.0625], zeroPoints: [0, 0, 0], dimension: 0)),
                tensor("bias", [3], type: 2, buffer: 2,
                       quantization: quantization(scales: [0.125, 0.0625, 0.03125], zeroPoints: [0, 0, 0])),
                tensor("output", [1, 4, 4, 3], quantization: quantization(scales: [0.75], zeroPoints: [5])),
            ],
            operators: [op(0, inputs: [0, 1, 2], outputs: [3], options: options)],
            buffers: [buffer(), buffer(filter), buffer(bias)],
            inputs: [0], outputs: [3],
            signatures: [FBTable([0: .tables([FBTable([0: .string("x"), 1: .uint32(0)])]),
                                  1: .tables([FBTable([0: .string("y"), 1: .uint32(3)])]),
                                  2: .string("serving_default"), 4: .uint32(0)])])
    }

    static func bytes(_ root: FBTable) -> [UInt8] { FlatBufferBuilder.build(root: root) }
}

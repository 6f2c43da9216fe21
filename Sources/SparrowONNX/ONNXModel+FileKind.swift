// What a file given as an ONNX model really is, when it is not one: a protobuf decode error
// ("end-group tag for field 13 ...") does not tell a user that they passed the .npy, the converted
// .sparrow file or a PyTorch checkpoint. Recognised by the first bytes.

extension ONNXModel {
    /// A specific error for files that are recognisably something else, nil otherwise.
    static func foreignFileError(_ bytes: [UInt8]) -> ONNXError? {
        func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        let what: String
        if bytes.isEmpty {
            what = "the file is empty"
        } else if starts(with: Array("SPRW".utf8)) {
            what = "this is a Sparrow model (.sparrow), already converted: run it with `sparrow run`, look at it with "
                + "`sparrow inspect`; `convert` takes the .onnx model it was made from"
        } else if starts(with: [0x93] + Array("NUMPY".utf8)) {
            what = "this is a NumPy .npy array, not an ONNX model (calibration samples go to --calibration)"
        } else if starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            what = "this is a zip archive (a PyTorch .pt/.pth checkpoint or a Keras .keras file?), not an ONNX model: "
                + "export it to ONNX first (torch.onnx.export, or tf2onnx for TensorFlow)"
        } else if starts(with: Array("TFL3".utf8), at: 4) {
            what = "this is a TensorFlow Lite model, not an ONNX model: convert it with tf2onnx (--tflite) first"
        } else if starts(with: [0x89] + Array("HDF".utf8)) {
            what = "this is an HDF5 file (a Keras .h5 model?), not an ONNX model: export it with tf2onnx first"
        } else {
            return nil
        }
        return ONNXError(.notONNX, path: "", offset: 0, what + " (it starts with \(leadingBytes(bytes)))")
    }

    /// A ModelProto's first byte is the tag of one of its fields (ir_version, producer_name, ...,
    /// graph, opset_import, metadata_props: fields 1-8 and 14, wire types 0 or 2). Anything else
    /// that fails to decode is reported as not an ONNX model rather than by its first parse error.
    static func startsLikeModelProto(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        let field = Int(first >> 3), wireType = first & 7
        return (1...8).contains(field) && (wireType == 0 || wireType == 2) || (field == 14 && wireType == 2)
            || (first & 0x80 != 0 && wireType == 2)  // fields >= 16 (training_info, functions) have two-byte tags
    }

    /// `53 50 52 57 01 00 00 00 "SPRW...."`: the first 8 bytes in hex and as ASCII.
    static func leadingBytes(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(8)
        let hex = head.map { b -> String in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
        }.joined(separator: " ")
        let text = String(decoding: head.map { (0x20..<0x7f).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
        return "\(hex) \"\(text)\""
    }
}

import SparrowTFLite

extension InspectCommand {
    /// `sparrow inspect MODEL.tflite`: the reader's view of a TFLite model.
    static func inspectTFLite(path: String) throws -> Int32 {
        let model = try TFLiteModel.load(path: path)
        print("model: \(path) (TFLite) " + model.summary())
        return 0
    }
}

// Host-only wording of errors; the device prints the same parts with its own writer.
#if !hasFeature(Embedded)
import SparrowFormat

extension ModelError: CustomStringConvertible {
    public var description: String {
        var where_ = "\(section.name)"
        if index >= 0 { where_ += "[\(index)]" }
        if field.utf8CodeUnitCount > 0 { where_ += " \(field)" }
        var text = "invalid model: \(where_): \(reason.message) (value \(value)"
        if limit != 0 { text += ", limit \(limit)" }
        return text + ")"
    }
}

extension ArenaError: CustomStringConvertible {
    public var description: String {
        switch reason {
        case .tooSmall: return "arena too small: the model needs \(required) bytes, \(provided) given"
        case .misaligned: return "arena is not \(required)-byte aligned (address mod \(required) = \(provided))"
        }
    }
}
#endif

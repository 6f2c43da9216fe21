// libFuzzer target: the .npy reader, the device's header parser and the host's whole-file
// reader with its typed element views (Toolchains/fuzz.sh npy). Any byte string must give an
// NPYError or an array whose views agree with its shape.
import SparrowNPY

@_cdecl("LLVMFuzzerTestOneInput")
public func npyFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Exactly `size` bytes, so a read past the end is an ASan report.
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    if let header = try? parseNPYHeader(raw) {
        precondition(header.dataOffset + header.dataByteCount <= size, "header describes bytes past the end")
    }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let array = try? NPYArray(bytes: bytes) else { return 0 }
    let count = array.elementCount
    for n in [array.floats()?.count, array.int64s()?.count, array.int32s()?.count, array.int8s()?.count,
              array.uint8s()?.count] {
        if let n { precondition(n == count, "typed view has \(n) elements, shape \(array.shape) has \(count)") }
    }
    if let encoded = array.encoded() {
        precondition((try? NPYArray(bytes: encoded)) == array, "re-encoding does not read back the same array")
    }
    return 0
}

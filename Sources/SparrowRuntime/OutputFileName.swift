// `--output-dir DIR`: one `<output name>.npy` per graph output, on the host and the device alike.
// ONNX output names may hold any characters ('/', ':', spaces...), so the file name keeps
// A-Z a-z 0-9 '.' '_' '-' and turns every other byte into '_' (a leading '.' too: no hidden
// files, no '..'). Names that collide after this get '_<output index>' appended; an empty name
// becomes 'output_<index>'. Pure byte functions, so the Embedded device program shares them.

public enum OutputFileName {
    /// Longest file stem kept (file systems allow 255 bytes; room for '_<index>.npy').
    public static let maxStemBytes = 200

    /// Writes the file name (stem and ".npy", no NUL) of graph output `k` into `buffer`; returns
    /// its length, or nil when `buffer` is too small (`maxStemBytes + 32` always suffices).
    public static func write(model: VerifiedModel, output k: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        write(output: k, into: buffer) { model.tensorName(model.graphOutput($0)) }
    }

    /// The same for output `k` of outputs named `name(0)`, `name(1)`, ...
    public static func write(output k: Int, into buffer: UnsafeMutableRawBufferPointer,
                             name: (Int) -> UnsafeRawBufferPointer) -> Int? {
        let own = name(k)
        var collides = false
        for j in 0..<k where sameStem(own, name(j)) { collides = true }
        var out = ByteWriter(buffer: buffer)
        let length = min(own.count, maxStemBytes)
        if length == 0 {
            out.put("output")
            collides = true
        }
        for i in 0..<length { out.put(safeByte(own[i], at: i)) }
        if collides {
            out.put("_")
            out.putDecimal(k)
        }
        out.put(".npy")
        return out.overflowed ? nil : out.count
    }

    /// Appends bytes to a fixed buffer, remembering when one did not fit.
    struct ByteWriter {
        let buffer: UnsafeMutableRawBufferPointer
        var count = 0
        var overflowed = false

        mutating func put(_ byte: UInt8) {
            guard count < buffer.count else { overflowed = true; return }
            buffer[count] = byte
            count += 1
        }

        mutating func put(_ text: StaticString) {
            for i in 0..<text.utf8CodeUnitCount { put(text.utf8Start[i]) }
        }

        mutating func putDecimal(_ value: Int) {
            var divisor = 1
            while value / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                put(UInt8(48 + (value / divisor) % 10))
                divisor /= 10
            }
        }
    }

    /// The byte kept at position `i` of a stem.
    @inline(__always)
    static func safeByte(_ b: UInt8, at i: Int) -> UInt8 {
        let isAlnum = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
        let keep = isAlnum || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || (b == UInt8(ascii: ".") && i > 0)
        return keep ? b : UInt8(ascii: "_")
    }

    /// True when two names give the same stem (before any '_<index>' suffix).
    static func sameStem(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let la = min(a.count, maxStemBytes), lb = min(b.count, maxStemBytes)
        guard la == lb else { return false }
        for i in 0..<la where safeByte(a[i], at: i) != safeByte(b[i], at: i) { return false }
        return true
    }
}

// Clock and process exit for the device program.

extension Platform {
    /// Monotonic clock in nanoseconds (CLOCK_MONOTONIC), for latency measurement.
    static func monotonicNanoseconds() -> UInt64 { libcMonotonicNanoseconds() }

    /// Ends the process with `status` (stdio buffers are flushed by libc's exit).
    static func exit(_ status: Int32) -> Never { libcExit(status) }
}

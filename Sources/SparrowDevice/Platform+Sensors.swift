// Sensor access for `sparrow-device bench`: small-file reads for sysfs and /proc, and the
// second thread that samples the power sensor while inferences run (SparrowHarness's SysfsPowerMeter).

import SparrowHarness
import SparrowRuntime

/// Reads sysfs and /proc files with fopen/fread. Their reported size is 0 (fseek/ftell do not
/// work on them), so this reads up to the buffer's size instead of the file's size.
struct DeviceFileReader: SysfsFileReader {
    func read(path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0, let file = libcOpen(path, "rb") else { return -1 }
        let got = libcRead(base, buffer.count, file)
        _ = libcClose(file)
        return got > 0 ? got : -1  // a directory opens but reads nothing (EISDIR)
    }
}

struct DeviceClock: MonotonicClock {
    @inline(__always) func nanoseconds() -> UInt64 { Platform.monotonicNanoseconds() }
}

/// State shared with the sampling thread. The main thread touches `meter` only before
/// `start` and after `stop` (thread creation and join order those accesses); while the thread
/// runs, the only shared word is `stopRequested`, written by main and polled by the thread
/// after each sleep (the sleep and file reads are opaque calls, so the load is not hoisted).
struct SamplerState {
    var meter: SysfsPowerMeter<DeviceFileReader>
    var intervalNanoseconds: UInt64
    var stopRequested: Int32 = 0
    var thread: UInt = 0
    var running = false
}

enum PowerSampler {
    /// Starts sampling every `intervalNanoseconds` on a second thread, after one sample on the
    /// caller's thread at the window's start. Returns false if the thread could not start
    /// (the window then has only its start and end samples).
    static func start(_ state: UnsafeMutablePointer<SamplerState>) -> Bool {
        state.pointee.meter.resetWindow()
        state.pointee.meter.sample(at: Platform.monotonicNanoseconds())
        state.pointee.stopRequested = 0
        let entry: LibcThreadEntry = { context in
            let s = context!.assumingMemoryBound(to: SamplerState.self)
            while s.pointee.stopRequested == 0 {
                libcSleep(nanoseconds: s.pointee.intervalNanoseconds)
                s.pointee.meter.sample(at: Platform.monotonicNanoseconds())
            }
            return nil
        }
        guard let thread = libcThreadStart(entry, UnsafeMutableRawPointer(state)) else { return false }
        state.pointee.thread = thread
        state.pointee.running = true
        return true
    }

    /// Stops the thread and takes the window's closing sample on the caller's thread.
    static func stop(_ state: UnsafeMutablePointer<SamplerState>) {
        if state.pointee.running {
            state.pointee.stopRequested = 1
            libcThreadJoin(state.pointee.thread)
            state.pointee.running = false
        }
        state.pointee.meter.sample(at: Platform.monotonicNanoseconds())
    }
}

/// VmHWM (peak resident set) of this process in KiB from /proc/self/status, or nil.
/// (Under qemu-user this is the emulator process's figure, not the board's.)
func peakResidentKiB(scratch: UnsafeMutableRawBufferPointer) -> Int64? {
    let got = DeviceFileReader().read(path: "/proc/self/status", into: scratch)
    guard got > 0 else { return nil }
    return parseProcStatusKiB(UnsafeRawBufferPointer(rebasing: scratch[0..<got]), field: "VmHWM:")
}
extension DeviceClock: DeadlineClock {}

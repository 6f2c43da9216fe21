// The only file where the device and host worlds differ: every C call the device program makes
// goes through the `libc…` shims below. Embedded Swift has no Glibc module, so there the few
// functions are declared with `@_extern(c)` (needs `-enable-experimental-feature Extern`);
// on the host the same shims forward to Glibc. Only non-variadic functions are used
// (fopen/fread rather than open), because Swift cannot call C variadics.
// Embedded Swift also has no `CommandLine`, so argc/argv are captured by an `.init_array` entry,
// which glibc calls with (argc, argv, envp) before `main` (needs the SymbolLinkageMarkers
// feature). The captured globals must not live in main.swift: globals there are initialised by
// the top-level code, which would overwrite them.
//
// C type mapping used by the Embedded declarations (glibc, aarch64 LP64 and armv7 ILP32):
//   int → Int32, long / ssize_t / size_t → Int (word sized on both), FILE* → OpaquePointer,
//   struct timespec { time_t; long } → two words (glibc's default 32-bit time_t on armhf).

#if hasFeature(Embedded)

@_extern(c, "fopen") func _c_fopen(_ path: UnsafePointer<CChar>, _ mode: UnsafePointer<CChar>) -> OpaquePointer?
@_extern(c, "fclose") func _c_fclose(_ file: OpaquePointer) -> Int32
@_extern(c, "fread") func _c_fread(_ buffer: UnsafeMutableRawPointer, _ size: Int, _ count: Int, _ file: OpaquePointer) -> Int
@_extern(c, "fwrite") func _c_fwrite(_ buffer: UnsafeRawPointer, _ size: Int, _ count: Int, _ file: OpaquePointer) -> Int
@_extern(c, "fseek") func _c_fseek(_ file: OpaquePointer, _ offset: Int, _ whence: Int32) -> Int32
@_extern(c, "ftell") func _c_ftell(_ file: OpaquePointer) -> Int
@_extern(c, "write") func _c_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int
@_extern(c, "clock_gettime") func _c_clock_gettime(_ clock: Int32, _ timespec: UnsafeMutableRawPointer) -> Int32
@_extern(c, "posix_memalign") func _c_posix_memalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32
@_extern(c, "exit") func _c_exit(_ status: Int32)
@_extern(c, "__errno_location") func _c_errno_location() -> UnsafeMutablePointer<Int32>
// Bench harness: a sensor-sampling thread, sleeping, the environment (SPARROW_SYSFS_ROOT).
// pthread_t is `unsigned long` (a word) on both ABIs.
@_extern(c, "pthread_create") func _c_pthread_create(_ thread: UnsafeMutablePointer<UInt>, _ attributes: UnsafeRawPointer?, _ entry: LibcThreadEntry, _ context: UnsafeMutableRawPointer?) -> Int32
@_extern(c, "pthread_join") func _c_pthread_join(_ thread: UInt, _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
@_extern(c, "nanosleep") func _c_nanosleep(_ request: UnsafeRawPointer, _ remaining: UnsafeMutableRawPointer?) -> Int32
@_extern(c, "getenv") func _c_getenv(_ name: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>?

@inline(__always) func libcOpen(_ path: UnsafePointer<CChar>, _ mode: UnsafePointer<CChar>) -> OpaquePointer? { _c_fopen(path, mode) }
@inline(__always) func libcClose(_ file: OpaquePointer) -> Int32 { _c_fclose(file) }
@inline(__always) func libcRead(_ buffer: UnsafeMutableRawPointer, _ count: Int, _ file: OpaquePointer) -> Int { _c_fread(buffer, 1, count, file) }
@inline(__always) func libcWrite(_ buffer: UnsafeRawPointer, _ count: Int, _ file: OpaquePointer) -> Int { _c_fwrite(buffer, 1, count, file) }
@inline(__always) func libcSeek(_ file: OpaquePointer, _ offset: Int, _ whence: Int32) -> Int32 { _c_fseek(file, offset, whence) }
@inline(__always) func libcTell(_ file: OpaquePointer) -> Int { _c_ftell(file) }
@inline(__always) func libcWriteFD(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { _c_write(fd, buffer, count) }
@inline(__always) func libcMonotonicNanoseconds() -> UInt64 {
    var timespec: (Int, Int) = (0, 0)
    _ = withUnsafeMutableBytes(of: &timespec) { _c_clock_gettime(libcClockMonotonic, $0.baseAddress!) }
    return UInt64(truncatingIfNeeded: timespec.0) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: timespec.1)
}
@inline(__always) func libcAlignedAlloc(_ size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    var result: UnsafeMutableRawPointer? = nil
    return _c_posix_memalign(&result, alignment, size) == 0 ? result : nil
}
@inline(__always) func libcExit(_ status: Int32) -> Never {
    _c_exit(status)
    fatalError()  // exit(3) does not return; `Never` cannot be spelled in an @_extern(c) type
}
@inline(__always) func libcErrno() -> Int32 { _c_errno_location().pointee }
@inline(__always) func libcThreadStart(_ entry: LibcThreadEntry, _ context: UnsafeMutableRawPointer) -> UInt? {
    var thread: UInt = 0
    return _c_pthread_create(&thread, nil, entry, context) == 0 ? thread : nil
}
@inline(__always) func libcThreadJoin(_ thread: UInt) { _ = _c_pthread_join(thread, nil) }
@inline(__always) func libcSleep(nanoseconds: UInt64) {
    var request: (Int, Int) = (Int(truncatingIfNeeded: nanoseconds / 1_000_000_000), Int(truncatingIfNeeded: nanoseconds % 1_000_000_000))
    _ = withUnsafeBytes(of: &request) { _c_nanosleep($0.baseAddress!, nil) }
}
@inline(__always) func libcGetenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>? { _c_getenv(name).map { UnsafePointer($0) } }

typealias CArgumentVector = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
nonisolated(unsafe) private var capturedArgumentCount: Int32 = 0
nonisolated(unsafe) private var capturedArgumentVector: CArgumentVector? = nil

@_cdecl("sparrow_device_capture_arguments")
func _captureArguments(_ count: Int32, _ vector: CArgumentVector?, _ environment: UnsafeMutableRawPointer?) {
    capturedArgumentCount = count
    capturedArgumentVector = vector
}
@used @section(".init_array")
let _captureArgumentsEntry: @convention(c) (Int32, CArgumentVector?, UnsafeMutableRawPointer?) -> Void = _captureArguments

/// argc and argv of the process (argv is nil only if the capture hook did not run).
func libcArguments() -> (count: Int32, vector: CArgumentVector?) { (capturedArgumentCount, capturedArgumentVector) }

#else

import Glibc

@inline(__always) func libcOpen(_ path: UnsafePointer<CChar>, _ mode: UnsafePointer<CChar>) -> OpaquePointer? {
    fopen(path, mode).map { OpaquePointer($0) }
}
@inline(__always) func libcClose(_ file: OpaquePointer) -> Int32 { fclose(UnsafeMutablePointer(file)) }
@inline(__always) func libcRead(_ buffer: UnsafeMutableRawPointer, _ count: Int, _ file: OpaquePointer) -> Int {
    fread(buffer, 1, count, UnsafeMutablePointer(file))
}
@inline(__always) func libcWrite(_ buffer: UnsafeRawPointer, _ count: Int, _ file: OpaquePointer) -> Int {
    fwrite(buffer, 1, count, UnsafeMutablePointer(file))
}
@inline(__always) func libcSeek(_ file: OpaquePointer, _ offset: Int, _ whence: Int32) -> Int32 {
    fseek(UnsafeMutablePointer(file), offset, whence)
}
@inline(__always) func libcTell(_ file: OpaquePointer) -> Int { ftell(UnsafeMutablePointer(file)) }
@inline(__always) func libcWriteFD(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
@inline(__always) func libcMonotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    _ = clock_gettime(libcClockMonotonic, &spec)
    return UInt64(truncatingIfNeeded: spec.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: spec.tv_nsec)
}
@inline(__always) func libcAlignedAlloc(_ size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    var result: UnsafeMutableRawPointer? = nil
    return posix_memalign(&result, alignment, size) == 0 ? result : nil
}
@inline(__always) func libcExit(_ status: Int32) -> Never { exit(status) }
@inline(__always) func libcErrno() -> Int32 { errno }
@inline(__always) func libcThreadStart(_ entry: LibcThreadEntry, _ context: UnsafeMutableRawPointer) -> UInt? {
    var thread: pthread_t = 0
    return pthread_create(&thread, nil, entry, context) == 0 ? thread : nil
}
@inline(__always) func libcThreadJoin(_ thread: UInt) { _ = pthread_join(thread, nil) }
@inline(__always) func libcSleep(nanoseconds: UInt64) {
    var request = timespec(tv_sec: Int(truncatingIfNeeded: nanoseconds / 1_000_000_000),
                           tv_nsec: Int(truncatingIfNeeded: nanoseconds % 1_000_000_000))
    _ = nanosleep(&request, nil)
}
@inline(__always) func libcGetenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>? { getenv(name).map { UnsafePointer($0) } }

typealias CArgumentVector = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
func libcArguments() -> (count: Int32, vector: CArgumentVector?) { (CommandLine.argc, CommandLine.unsafeArgv) }

#endif

/// A thread's entry point for libcThreadStart (pthread's start routine).
typealias LibcThreadEntry = @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?

/// CLOCK_MONOTONIC and SEEK_SET/SEEK_END have the same values on every Linux ABI we target.
let libcClockMonotonic: Int32 = 1
let libcSeekSet: Int32 = 0
let libcSeekEnd: Int32 = 2

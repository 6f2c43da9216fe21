// Counts every heap allocation of a sparrow-device process, for the run-time half of "after init
// the device runtime never allocates" (the compile-time half is -no-allocations). Linked only into
// a test build of the device program (DeviceAllocationCountTests), with
//   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=posix_memalign,
//   --wrap=aligned_alloc,--wrap=memalign,--wrap=valloc,--wrap=clock_gettime
// so that every reference to these functions — from Sparrow's objects, the Embedded Swift
// runtime and the statically linked glibc's own members (stdio buffers, fopen's FILE) — goes
// through the __wrap_ functions below, which count and forward to the real ones.
//
// Phases: `run` reads the clock once right before its first invoke and once right after its last
// (main.swift), so the allocations made between the first and the last clock_gettime call are
// the ones made while inferring. At exit (.fini_array) one line goes to stderr:
//   sparrow-allocations: init A, between-clocks B, after C, frees F, clock-calls K
// Embedded Swift, compiled with -no-allocations: the counter itself never allocates.

@_extern(c, "__real_malloc") func _realMalloc(_ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_calloc") func _realCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_realloc") func _realRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_free") func _realFree(_ pointer: UnsafeMutableRawPointer?)
@_extern(c, "__real_posix_memalign") func _realPosixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32
@_extern(c, "__real_aligned_alloc") func _realAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_memalign") func _realMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_valloc") func _realValloc(_ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "__real_clock_gettime") func _realClockGettime(_ clock: Int32, _ timespec: UnsafeMutableRawPointer) -> Int32
@_extern(c, "write") func _write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int

nonisolated(unsafe) var allocationCount = 0
nonisolated(unsafe) var freeCount = 0
nonisolated(unsafe) var clockCalls = 0
/// allocationCount when the clock was read the first time and the last time (−1: never).
nonisolated(unsafe) var allocationsAtFirstClock = -1
nonisolated(unsafe) var allocationsAtLastClock = -1

@_cdecl("__wrap_malloc")
func wrapMalloc(_ size: Int) -> UnsafeMutableRawPointer? { allocationCount += 1; return _realMalloc(size) }

@_cdecl("__wrap_calloc")
func wrapCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? { allocationCount += 1; return _realCalloc(count, size) }

@_cdecl("__wrap_realloc")
func wrapRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    allocationCount += 1
    return _realRealloc(pointer, size)
}

@_cdecl("__wrap_free")
func wrapFree(_ pointer: UnsafeMutableRawPointer?) {
    if pointer != nil { freeCount += 1 }
    _realFree(pointer)
}

@_cdecl("__wrap_posix_memalign")
func wrapPosixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    allocationCount += 1
    return _realPosixMemalign(result, alignment, size)
}

@_cdecl("__wrap_aligned_alloc")
func wrapAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    allocationCount += 1
    return _realAlignedAlloc(alignment, size)
}

@_cdecl("__wrap_memalign")
func wrapMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    allocationCount += 1
    return _realMemalign(alignment, size)
}

@_cdecl("__wrap_valloc")
func wrapValloc(_ size: Int) -> UnsafeMutableRawPointer? { allocationCount += 1; return _realValloc(size) }

@_cdecl("__wrap_clock_gettime")
func wrapClockGettime(_ clock: Int32, _ timespec: UnsafeMutableRawPointer) -> Int32 {
    clockCalls += 1
    if allocationsAtFirstClock < 0 { allocationsAtFirstClock = allocationCount }
    allocationsAtLastClock = allocationCount
    return _realClockGettime(clock, timespec)
}

/// Appends the decimal digits of `value` (≥ 0) to `line` at `length`.
func appendNumber(_ value: Int, to line: UnsafeMutablePointer<UInt8>, at length: inout Int) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch on the stack
    withUnsafeMutableBytes(of: &digits) { scratch in
        var v = max(value, 0), n = 0
        repeat { scratch[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0 && n < 24
        while n > 0 { n -= 1; line[length] = scratch[n]; length += 1 }
    }
}

func appendText(_ text: StaticString, to line: UnsafeMutablePointer<UInt8>, at length: inout Int) {
    let bytes = text.utf8Start
    for i in 0..<text.utf8CodeUnitCount { line[length] = bytes[i]; length += 1 }
}

func reportAllocations() {
    let first = max(allocationsAtFirstClock, 0), last = max(allocationsAtLastClock, 0)
    let initial = allocationsAtFirstClock < 0 ? allocationCount : first
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                 UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)   // 128 bytes
    withUnsafeMutableBytes(of: &buffer) { raw in
        let line = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var n = 0
        appendText("sparrow-allocations: init ", to: line, at: &n)
        appendNumber(initial, to: line, at: &n)
        appendText(", between-clocks ", to: line, at: &n)
        appendNumber(last - first, to: line, at: &n)
        appendText(", after ", to: line, at: &n)
        appendNumber(allocationCount - (allocationsAtFirstClock < 0 ? allocationCount : last), to: line, at: &n)
        appendText(", frees ", to: line, at: &n)
        appendNumber(freeCount, to: line, at: &n)
        appendText(", clock-calls ", to: line, at: &n)
        appendNumber(clockCalls, to: line, at: &n)
        line[n] = 10
        _ = _write(2, line, n + 1)
    }
}

@used @section(".fini_array")
let _reportAllocationsEntry: @convention(c) () -> Void = reportAllocations

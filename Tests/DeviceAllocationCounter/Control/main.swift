// The allocation counter's control program: reads the clock, allocates twice (calloc and
// posix_memalign; malloc and free are names Embedded Swift reserves), reads the clock again,
// so a counting build of it must report "between-clocks 2" (DeviceAllocationCountTests). Built
// into one Embedded Swift program module together with ../AllocationCounter.swift.

@_extern(c, "clock_gettime") func _controlClock(_ clock: Int32, _ timespec: UnsafeMutableRawPointer) -> Int32
@_extern(c, "calloc") func _controlCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_extern(c, "posix_memalign") func _controlMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32

var timespec: (Int, Int) = (0, 0)
_ = withUnsafeMutableBytes(of: &timespec) { _controlClock(1, $0.baseAddress!) }
let block = _controlCalloc(4, 16)
var aligned: UnsafeMutableRawPointer? = nil
_ = _controlMemalign(&aligned, 64, 256)
_ = withUnsafeMutableBytes(of: &timespec) { _controlClock(1, $0.baseAddress!) }
_ = (block, aligned)   // never freed: the process ends here

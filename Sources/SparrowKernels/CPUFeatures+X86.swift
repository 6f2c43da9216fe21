// Run-time AVX2 detection for x86_64 hosts (the device builds are arm and never compile this).
// CPUID leaf 1 ECX: OSXSAVE (bit 27: the OS saves extended state) and AVX (bit 28); leaf 7 EBX:
// AVX2 (bit 5). XCR0 is not read: `_xgetbv` is a macro Swift cannot import, and Linux enables
// the YMM state on every AVX CPU unless booted without XSAVE; `SPARROW_KERNELS=portable` in the
// environment forces the portable kernels (also the way to measure them against AVX2).
// AVX-VNNI (`vpdpbusd` on ymm, VEX-encoded): CPUID leaf 7 subleaf 1 EAX bit 4, on top of AVX2;
// `SPARROW_KERNELS=avx2` keeps AVX2 and turns AVX-VNNI off (to measure one against the other).
// AVX-512 VNNI (`vpdpbusd` on zmm): leaf 7 EBX F (16), DQ (17), BW (30), VL (31) and ECX VNNI (11);
// as for YMM, XCR0's ZMM bits are not read (Linux enables them on every AVX-512 CPU it runs on).
// `SPARROW_KERNELS=avxvnni` turns AVX-512 off and keeps AVX-VNNI; `avx2` turns both off.

#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Evaluated once per process.
let hostHasAVX2: Bool = {
    if let choice = getenv("SPARROW_KERNELS"), strcmp(choice, "portable") == 0 { return false }
    var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
    guard __get_cpuid(1, &a, &b, &c, &d) != 0, c & (1 << 27) != 0, c & (1 << 28) != 0 else { return false }
    guard __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 else { return false }
    return b & (1 << 5) != 0
}()

/// Evaluated once per process.
let hostHasAVXVNNI: Bool = {
    guard hostHasAVX2 else { return false }
    if let choice = getenv("SPARROW_KERNELS"), strcmp(choice, "avx2") == 0 { return false }
    var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
    guard __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0 else { return false }
    return a & (1 << 4) != 0
}()

/// Evaluated once per process.
let hostHasAVX512VNNI: Bool = {
    guard hostHasAVX2 else { return false }
    if let choice = getenv("SPARROW_KERNELS"), strcmp(choice, "avx2") == 0 || strcmp(choice, "avxvnni") == 0 { return false }
    var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
    guard __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 else { return false }
    let ebx: UInt32 = (1 << 16) | (1 << 17) | (1 << 30) | (1 << 31)
    return b & ebx == ebx && c & (1 << 11) != 0
}()
#endif

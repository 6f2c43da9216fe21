// Which microkernel runs on which CPU: one ordered table per kernel family, chosen from the
// board's capabilities (as XNNPACK's gemm-config), not by #if chains. A microkernel whose
// intrinsics the current build cannot emit (its file is compiled for another ISA or without the
// dot-product extension) reports `isAvailable == false` and the next row is taken.

/// What the CPU can execute; from the board profile (`hasDotProd`) and the build's ISA, and on
/// x86 hosts from CPUID at run time.
public struct CPUFeatures: Equatable, Sendable {
    /// Advanced SIMD (all aarch64 and the armv7 Pi boards).
    public var neon: Bool
    /// ARMv8.2 dot product (`sdot`): Cortex-A76 (Pi 5), not A53/A72.
    public var dotProduct: Bool
    /// x86 AVX2 (host runs and calibration): found by CPUID, never assumed from the build.
    public var avx2: Bool
    /// x86 AVX-VNNI (`vpdpbusd` on ymm), found by CPUID like AVX2 (implies it here).
    public var avxVnni: Bool
    /// An in-order core (Cortex-A53: Pi 3, Pi Zero 2 W), whose build LLVM schedules for an in-order
    /// pipeline: some kernels have a variant that keeps that schedule from spilling. A tuning
    /// choice, not a capability: every kernel runs everywhere its ISA runs.
    public var inOrder: Bool
    public init(neon: Bool, dotProduct: Bool, avx2: Bool = false, avxVnni: Bool = false, inOrder: Bool = false) {
        self.neon = neon; self.dotProduct = dotProduct; self.avx2 = avx2; self.avxVnni = avxVnni; self.inOrder = inOrder
    }

    /// No vector extension assumed: selects the portable kernels.
    public static let portable = CPUFeatures(neon: false, dotProduct: false)

    /// What this build was compiled for: NEON on arm targets, dot product where the board's flags
    /// define SPARROW_DOTPROD (Boards/pi5.json); on x86_64, AVX2 when this CPU has it
    /// (CPUFeatures+X86.swift; `SPARROW_KERNELS=portable` in the environment turns it off); in-order
    /// where they define SPARROW_INORDER (Boards/pi3b-plus.json, pi-zero-2w.json). The device
    /// runtime and the host interpreter select with this.
    public static var thisBuild: CPUFeatures {
#if (arch(arm64) || arch(arm)) && SPARROW_DOTPROD
        return CPUFeatures(neon: true, dotProduct: true, inOrder: inOrderBuild)
#elseif arch(arm64) || arch(arm)
        return CPUFeatures(neon: true, dotProduct: false, inOrder: inOrderBuild)
#elseif arch(x86_64)
        return CPUFeatures(neon: false, dotProduct: false, avx2: hostHasAVX2, avxVnni: hostHasAVXVNNI)
#else
        return .portable
#endif
    }
}

/// Whether the board's flags define SPARROW_INORDER (its core is in-order: Cortex-A53).
private var inOrderBuild: Bool {
#if SPARROW_INORDER
    return true
#else
    return false
#endif
}

/// The instruction set a device build targets (the converter runs on the host and packs for it).
public enum TargetISA: Equatable, Sendable {
    case aarch64, armv7, other
}

/// The GEMM microkernels (each with its 1-row variant on the same packed layout).
public enum Qs8GemmKernel: Equatable, Sendable {
    case scalar4x16c4, scalar2x8c16, neondot4x16c4, neonMlal2x8c16, neonMlal2x8c16InOrder, neonMlal1x8c16
    /// The AVX2 and AVX-VNNI kernels walk their own tiles (SparrowKernelsX86, SparrowKernelsX86VNNI):
    /// one call per GEMM.
    case avx2x2x16c4, avx2x1x8c16, avxVnni4x16c4, avxVnni2x8c16
}

/// A GEMM microkernel with its tile shape and what it needs.
public struct Qs8GemmConfig {
    /// XNNPACK-style name: datatype, op, MR×NR c KR, ISA.
    public var name: StaticString
    public var tile: Qs8GemmTile
    public var requiresNeon: Bool
    public var requiresDotProduct: Bool
    /// Compiled into this build (the intrinsics exist for the target).
    public var isAvailable: Bool
    /// Which microkernel `qs8Gemm` runs (a closed switch there: no closure context to retain
    /// and release per tile).
    public var kernel: Qs8GemmKernel
    /// Needs x86 AVX2 (checked by CPUID at run time, `CPUFeatures.avx2`).
    public var requiresAVX2: Bool = false
    /// Needs x86 AVX-VNNI (CPUID, `CPUFeatures.avxVnni`).
    public var requiresAVXVNNI: Bool = false
    /// Tuned for in-order cores (`CPUFeatures.inOrder`); out-of-order cores take the next row.
    public var requiresInOrder: Bool = false

    /// Whether `cpu` can run this microkernel and this build contains it.
    public func runs(on cpu: CPUFeatures) -> Bool {
        isAvailable && (!requiresNeon || cpu.neon) && (!requiresDotProduct || cpu.dotProduct) && (!requiresAVX2 || cpu.avx2)
            && (!requiresAVXVNNI || cpu.avxVnni)
            && (!requiresInOrder || cpu.inOrder)
    }

    /// First row of the table the CPU can run and this build contains.
    public static func select(for cpu: CPUFeatures) -> Qs8GemmConfig {
        var rank = 0
        while let config = table(rank) {
            if config.runs(on: cpu) {
                return config
            }
            rank += 1
        }
        return .qs8Gemm4x16c4Scalar
    }

    /// The fastest microkernel this build and CPU run on weights packed in `tile`'s layout (NR, KR;
    /// the MR is the kernel's): the first table row with that layout, else its portable twin, so
    /// every layout the converter writes runs everywhere, bit-identically.
    public static func select(for cpu: CPUFeatures, packedNR nr: Int, kr: Int) -> Qs8GemmConfig {
        var rank = 0
        while let config = table(rank) {
            if config.tile.nr == nr && config.tile.kr == kr && config.runs(on: cpu) {
                return config
            }
            rank += 1
        }
        return nr == 16 && kr == 4 ? .qs8Gemm4x16c4Scalar : .qs8Gemm2x8c16Scalar
    }

    /// The table of this build's ISA, fastest first; the portable kernel last, always available.
    /// (A switch, not an array: the device build has no heap.)
    public static func table(_ rank: Int) -> Qs8GemmConfig? {
#if arch(arm)
        // armv7: 16 q registers; the 2-row tile's 16 accumulators would spill.
        switch rank {
        case 0: return .qs8Gemm1x8c16NeonMlal
        case 1: return .qs8Gemm4x16c4Scalar
        default: return nil
        }
#else
        // aarch64 and x86_64 (rows of the other ISA are unavailable and skipped).
        switch rank {
        case 0: return .qs8Gemm4x16c4Neondot
        case 1: return .qs8Gemm2x8c16NeonMlalInOrder
        case 2: return .qs8Gemm2x8c16NeonMlal
        case 3: return .qs8Gemm4x16c4AvxVnni
        case 4: return .qs8Gemm2x8c16AvxVnni
        case 5: return .qs8Gemm2x16c4Avx2
        case 6: return .qs8Gemm1x8c16Avx2
        case 7: return .qs8Gemm4x16c4Scalar
        default: return nil
        }
#endif
    }

    public static let qs8Gemm4x16c4Scalar = Qs8GemmConfig(
        name: "qs8-gemm-4x16c4-scalar", tile: Qs8GemmTile(mr: 4, nr: 16, kr: 4), requiresNeon: false,
        requiresDotProduct: false, isAvailable: true, kernel: .scalar4x16c4)
    /// The portable twin of the c16 NEON kernel (same packed layout), its oracle in the tests.
    public static let qs8Gemm2x8c16Scalar = Qs8GemmConfig(
        name: "qs8-gemm-2x8c16-scalar", tile: Qs8GemmTile(mr: 2, nr: 8, kr: 16), requiresNeon: false,
        requiresDotProduct: false, isAvailable: true, kernel: .scalar2x8c16)
    public static let qs8Gemm4x16c4Neondot = Qs8GemmConfig(
        name: "qs8-gemm-4x16c4-neondot", tile: Qs8GemmTile(mr: 4, nr: 16, kr: 4), requiresNeon: true,
        requiresDotProduct: true, isAvailable: qs8Gemm4x16c4NeondotIsCompiled, kernel: .neondot4x16c4)
    public static let qs8Gemm2x8c16NeonMlal = Qs8GemmConfig(
        name: "qs8-gemm-2x8c16-neon-mlal", tile: Qs8GemmTile(mr: 2, nr: 8, kr: 16), requiresNeon: true,
        requiresDotProduct: false, isAvailable: qs8Gemm2x8c16NeonMlalIsCompiled, kernel: .neonMlal2x8c16)
    /// The same tile and layout in two 4-channel passes, for in-order cores (Qs8Gemm+NeonMlal.swift).
    public static let qs8Gemm2x8c16NeonMlalInOrder = Qs8GemmConfig(
        name: "qs8-gemm-2x8c16-neon-mlal-inorder", tile: Qs8GemmTile(mr: 2, nr: 8, kr: 16), requiresNeon: true,
        requiresDotProduct: false, isAvailable: qs8Gemm2x8c16NeonMlalIsCompiled, kernel: .neonMlal2x8c16InOrder,
        requiresInOrder: true)

    public static let qs8Gemm1x8c16NeonMlal = Qs8GemmConfig(
        name: "qs8-gemm-1x8c16-neon-mlal", tile: Qs8GemmTile(mr: 1, nr: 8, kr: 16), requiresNeon: true,
        requiresDotProduct: false, isAvailable: qs8Gemm2x8c16NeonMlalIsCompiled,
        kernel: .neonMlal1x8c16)

    /// x86 host kernels on the two board layouts (NR 16 KR 4, NR 8 KR 16), so a file packed for any
    /// board runs fast on the host (Qs8Gemm+AVX2.swift).
    public static let qs8Gemm2x16c4Avx2 = Qs8GemmConfig(
        name: "qs8-gemm-2x16c4-avx2", tile: Qs8GemmTile(mr: 2, nr: 16, kr: 4), requiresNeon: false,
        requiresDotProduct: false, isAvailable: qs8GemmAVX2IsCompiled, kernel: .avx2x2x16c4, requiresAVX2: true)
    public static let qs8Gemm1x8c16Avx2 = Qs8GemmConfig(
        name: "qs8-gemm-1x8c16-avx2", tile: Qs8GemmTile(mr: 1, nr: 8, kr: 16), requiresNeon: false,
        requiresDotProduct: false, isAvailable: qs8GemmAVX2IsCompiled, kernel: .avx2x1x8c16, requiresAVX2: true)
    /// `vpdpbusd` on the NR 16 KR 4 layout (`--board host`, pi5), 4 rows per tile (Qs8Gemm+AVXVNNI.swift).
    public static let qs8Gemm4x16c4AvxVnni = Qs8GemmConfig(
        name: "qs8-gemm-4x16c4-avxvnni", tile: Qs8GemmTile(mr: 4, nr: 16, kr: 4), requiresNeon: false,
        requiresDotProduct: false, isAvailable: qs8GemmAVX2IsCompiled, kernel: .avxVnni4x16c4, requiresAVX2: true,
        requiresAVXVNNI: true)
    /// `vpdpbusd` on the NR 8 KR 16 layout (the default conversion, packed for pi4b), 2 rows per tile.
    public static let qs8Gemm2x8c16AvxVnni = Qs8GemmConfig(
        name: "qs8-gemm-2x8c16-avxvnni", tile: Qs8GemmTile(mr: 2, nr: 8, kr: 16), requiresNeon: false,
        requiresDotProduct: false, isAvailable: qs8GemmAVX2IsCompiled, kernel: .avxVnni2x8c16, requiresAVX2: true,
        requiresAVXVNNI: true)

    /// The packed layout the device build for `isa` selects: what the converter must pack for a
    /// board. Mirrors the per-ISA tables; every layout has a portable twin, so the host runs any.
    public static func packedTile(for isa: TargetISA, dotProduct: Bool) -> Qs8GemmTile {
        switch isa {
        case .aarch64: return dotProduct ? qs8Gemm4x16c4Neondot.tile : qs8Gemm2x8c16NeonMlal.tile
        case .armv7: return Qs8GemmTile(mr: 1, nr: 8, kr: 16)   // qs8-gemm-1x8c16-neon-mlal
        case .other: return qs8Gemm4x16c4Scalar.tile
        }
    }

    /// The most rows (MR) any build's microkernel for weights packed with NR × KR takes at once:
    /// what a caller planning scratch for `qs8ConvIm2col` must allow, whichever build runs it.
    public static func maxRows(packedNR nr: Int, kr: Int) -> Int {
        func rows(_ c: Qs8GemmConfig) -> Int { c.tile.nr == nr && c.tile.kr == kr ? c.tile.mr : 1 }
        // Pairwise: the variadic max would build an array (the device build has no heap).
        let scalar = Swift.max(rows(qs8Gemm4x16c4Scalar), rows(qs8Gemm2x8c16Scalar))
        let mlal = Swift.max(rows(qs8Gemm2x8c16NeonMlal), Swift.max(rows(qs8Gemm2x8c16NeonMlalInOrder), rows(qs8Gemm1x8c16NeonMlal)))
        let neon = Swift.max(rows(qs8Gemm4x16c4Neondot), mlal)
        let avx2 = Swift.max(rows(qs8Gemm2x16c4Avx2), rows(qs8Gemm1x8c16Avx2))
        let avxVnni = Swift.max(rows(qs8Gemm4x16c4AvxVnni), rows(qs8Gemm2x8c16AvxVnni))
        return Swift.max(scalar, Swift.max(neon, Swift.max(avx2, avxVnni)))
    }

    /// The portable twin with the same packed layout as `self`: the oracle of the tests.
    public var portableTwin: Qs8GemmConfig {
        tile.nr == 16 && tile.kr == 4 ? .qs8Gemm4x16c4Scalar : .qs8Gemm2x8c16Scalar
    }
}

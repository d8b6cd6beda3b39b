/// The shape of an IOMMU's radix page table, derived from its granule and input width
/// (docs/semantics.md section 5).
///
/// Arm LPAE (drivers/iommu/io-pgtable-arm.c): `bits_per_level = log2(granule) - 3`,
/// `levels = ceil((ias - log2(granule)) / bits_per_level)`, at most 4. VT-d second-level and
/// AMD-Vi tables follow the same arithmetic with a 4 KiB granule and 9 bits a level
/// (39/48/57 bits need 3/4/5 levels).
public struct PageTableGeometry: Hashable, Sendable {
    /// log2 of the granule.
    public let granuleShift: UInt8
    /// Input address bits.
    public let inputBits: UInt8
    /// Index bits per level.
    public let bitsPerLevel: UInt8
    /// Number of levels walked.
    public let levels: UInt8

    /// Derives the geometry.
    public init(kind: IOMMUKind, granuleShift: UInt8, inputBits: UInt8) {
        self.granuleShift = granuleShift
        self.inputBits = inputBits
        let bpl = granuleShift >= 3 ? granuleShift - 3 : 1
        bitsPerLevel = bpl
        let span = Int(inputBits) - Int(granuleShift)
        levels = span <= 0 ? 1 : UInt8((span + Int(bpl) - 1) / Int(bpl))
    }

    /// The widest input and output an Arm LPAE table of this granule takes without LPA2:
    /// 52 bits with a 64 KiB granule (FEAT_LPA), 48 with 4 and 16 KiB. io-pgtable-arm caps ias
    /// and oas there (`arm_lpae_restrict_pgsizes`), and it has no LPA2 format, so the 4 KiB
    /// granule's level -1 and the 512 GiB and 64 GiB blocks LPA2 adds do not exist for Linux.
    public static func armMaxAddressBits(granuleShift: UInt8) -> UInt8 {
        granuleShift == 16 ? 52 : 48
    }

    /// The most levels an architecture's tables may have.
    public static func maxLevels(_ kind: IOMMUKind) -> Int {
        switch kind {
        case .armSMMUv3, .armSMMU: return 4
        case .intelVTd: return 5
        case .amdVi, .generic: return 6
        }
    }

    /// Shift of the address bits a level's entry covers: level 0 is the root (top) level and
    /// `levels - 1` the leaf level, whose entries map one granule.
    @inlinable public func shift(level: Int) -> Int {
        Int(granuleShift) + (Int(levels) - 1 - level) * Int(bitsPerLevel)
    }

    /// The name an architecture gives a level (`level` counts from the root, 0).
    ///
    /// Arm VMSA numbers levels 0 to 3 with the leaf at 3, so a table of n levels starts at
    /// level 4 - n (a 64 KiB granule with a 48-bit input starts at 1; level -1 exists only
    /// with LPA2, which iotopo refuses). VT-d names its second-stage levels as IA-32e paging
    /// does: PML5, PML4, PDPT, PD, PT (VT-d 3.x, 3.7 and 9.8). AMD-Vi numbers them from the
    /// leaf (level 1) up to 6. A generic IOMMU counts from the root.
    public func levelName(_ kind: IOMMUKind, level: Int) -> String {
        switch kind {
        case .armSMMUv3, .armSMMU:
            return "level \(4 - Int(levels) + level)"
        case .intelVTd:
            let names = ["PML5", "PML4", "PDPT", "PD", "PT"]
            let i = 5 - Int(levels) + level
            return names.indices.contains(i) ? names[i] : "level \(level)"
        case .amdVi:
            return "level \(Int(levels) - level)"
        case .generic:
            return "level \(level)"
        }
    }

    /// Index bits used at a level (the root level may use fewer).
    @inlinable public func indexBits(level: Int) -> Int {
        if level == 0 { return Int(inputBits) - shift(level: 0) }
        return Int(bitsPerLevel)
    }

    /// The table index for `iova` at `level`.
    @inlinable public func index(_ iova: UInt64, level: Int) -> Int {
        let bits = indexBits(level: level)
        let mask: UInt64 = bits >= 64 ? .max : (UInt64(1) << UInt64(bits)) - 1
        return Int((iova >> UInt64(shift(level: level))) & mask)
    }

    /// The level whose entries map `size` bytes, if any.
    public func level(forPageSize size: UInt64) -> Int? {
        guard size.nonzeroBitCount == 1 else { return nil }
        let s = size.trailingZeroBitCount
        for l in 0 ..< Int(levels) where shift(level: l) == s { return l }
        return nil
    }

    /// The page sizes an architecture can express with this geometry: the granule, plus block
    /// (superpage) sizes at the levels the format allows them.
    ///
    /// Arm LPAE follows io-pgtable-arm's `arm_lpae_restrict_pgsizes` (Linux 6.x): blocks at
    /// levels 1 and 2 for a 4 KiB granule (1 GiB, 2 MiB), at level 2 for 16 KiB (32 MiB), and
    /// at level 2 for 64 KiB (512 MiB) plus, when the output is wider than 48 bits (FEAT_LPA),
    /// 4 TiB blocks at level 1. VT-d and AMD-Vi have 2 MiB and 1 GiB superpages; a generic
    /// IOMMU allows a block at any level below the root.
    public static func possiblePageSizes(kind: IOMMUKind, granuleShift: UInt8, inputBits: UInt8, outputBits: UInt8) -> UInt64 {
        let g = PageTableGeometry(kind: kind, granuleShift: granuleShift, inputBits: inputBits)
        var set: UInt64 = 0
        for l in 0 ..< Int(g.levels) {
            let s = g.shift(level: l)
            guard s < 64 else { continue }
            let allowed: Bool
            switch kind {
            case .armSMMUv3, .armSMMU:
                switch granuleShift {
                case 12: allowed = s == 12 || s == 21 || s == 30
                case 14: allowed = s == 14 || s == 25
                case 16: allowed = s == 16 || s == 29 || (s == 42 && outputBits > 48)
                default: allowed = s == Int(granuleShift)
                }
            case .intelVTd, .amdVi:
                allowed = s == 12 || s == 21 || s == 30
            case .generic:
                allowed = l > 0 || g.levels == 1
            }
            if allowed { set |= UInt64(1) << UInt64(s) }
        }
        return set
    }
}

/// lspci's names of the PCI class codes (PCI Code and ID Assignment spec), for comments on
/// functions whose source gives numbers only (a snapshot).
enum ClassNames {
    static let subclasses: [UInt16: String] = [
        0x0000: "Non-VGA unclassified device", 0x0001: "VGA compatible unclassified device",
        0x0100: "SCSI storage controller", 0x0101: "IDE interface", 0x0104: "RAID bus controller", 0x0106: "SATA controller",
        0x0107: "Serial Attached SCSI controller", 0x0108: "Non-Volatile memory controller", 0x0180: "Mass storage controller",
        0x0200: "Ethernet controller", 0x0280: "Network controller",
        0x0300: "VGA compatible controller", 0x0302: "3D controller", 0x0380: "Display controller",
        0x0401: "Multimedia audio controller", 0x0403: "Audio device", 0x0480: "Multimedia controller",
        0x0500: "RAM memory", 0x0580: "Memory controller",
        0x0600: "Host bridge", 0x0601: "ISA bridge", 0x0604: "PCI bridge", 0x0607: "CardBus bridge", 0x0680: "Bridge",
        0x0700: "Serial controller", 0x0780: "Communication controller",
        0x0805: "SD Host controller", 0x0806: "IOMMU", 0x0880: "System peripheral",
        0x0c03: "USB controller", 0x0c05: "SMBus", 0x0c0a: "USB4 host interface", 0x0c80: "Serial bus controller",
        0x0d80: "Wireless controller", 0x1080: "Encryption controller", 0x1180: "Signal processing controller",
        0x1200: "Processing accelerators",
    ]

    static let classes: [UInt8: String] = [
        0x01: "Mass storage controller", 0x02: "Network controller", 0x03: "Display controller", 0x04: "Multimedia controller",
        0x05: "Memory controller", 0x06: "Bridge", 0x07: "Communication controller", 0x08: "Generic system peripheral",
        0x09: "Input device controller", 0x0c: "Serial bus controller", 0x0d: "Wireless controller", 0x10: "Encryption controller",
        0x11: "Signal processing controller", 0x12: "Processing accelerators", 0xff: "Unassigned class",
    ]

    /// `Class name [cccc]`.
    static func name(_ classCode: UInt32) -> String {
        let sub = UInt16(truncatingIfNeeded: classCode >> 8)
        let text = subclasses[sub] ?? classes[UInt8(truncatingIfNeeded: classCode >> 16)] ?? "Class"
        let h = String(sub, radix: 16)
        return text + " [" + String(repeating: "0", count: 4 - h.count) + h + "]"
    }
}

import IotopoModel
import IotopoQuirks

/// A PCI function's configuration space as sysfs's `config` file gives it: 64 bytes to a
/// user (the header only), 256 or 4096 to root. Every read is bounds-checked; a pointer that
/// leaves the file, lands in the header or loops is an error with its byte offset, never a
/// crash or a hang.
///
/// Offsets are those of the PCI Local Bus spec 3.0 (type 0 and type 1 headers, 6.7 the
/// capability list) and the PCIe base spec (7.5.3 the Express capability, 7.6 extended
/// capabilities: ACS 000Dh, ARI 000Eh, SR-IOV 0010h).
public struct ConfigSpace {
    let bytes: [UInt8]

    /// A problem in the bytes, at an offset.
    public struct Problem: Error, Equatable, Sendable {
        public var offset: Int
        public var message: String
    }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }

    func u16(_ at: Int) -> UInt16? {
        guard let a = u8(at), let b = u8(at + 1) else { return nil }
        return UInt16(a) | UInt16(b) << 8
    }

    func u32(_ at: Int) -> UInt32? {
        guard let a = u16(at), let b = u16(at + 2) else { return nil }
        return UInt32(a) | UInt32(b) << 16
    }

    /// What the header and the capabilities say. `address` is the function's, for the
    /// record; the result has every field the bytes give.
    public func parse(address: PCIAddress) -> Result<HostFunction, Problem> {
        guard bytes.count >= 64 else {
            return .failure(Problem(offset: bytes.count, message: "config space is \(bytes.count) bytes, shorter than the 64-byte header"))
        }
        // Bounds were checked above: offsets below 64 are all present.
        let vendor = u16(0x00) ?? 0, device = u16(0x02) ?? 0
        guard vendor != 0xFFFF else { return .failure(Problem(offset: 0, message: "vendor ID ffff: no function answers here")) }
        let classCode = (u32(0x08) ?? 0) >> 8
        var f = HostFunction(address: address, classCode: classCode, vendor: vendor, device: device)
        f.revision = u8(0x08)
        let headerType = u8(0x0E) ?? 0
        f.multifunctionBit = headerType & 0x80 != 0
        switch headerType & 0x7F {
        case 0:
            let sv = u16(0x2C) ?? 0, sd = u16(0x2E) ?? 0
            if sv != 0 && sv != 0xFFFF { f.subsystem = (sv, sd) }
        case 1, 2:
            f.buses = BridgeBuses(primary: u8(0x18) ?? 0, secondary: u8(0x19) ?? 0, subordinate: u8(0x1A) ?? 0)
        default:
            return .failure(Problem(offset: 0x0E, message: "header type \(headerType & 0x7F) is not 0, 1 or 2"))
        }
        f.portType = .conventional
        let status = u16(0x06) ?? 0
        guard status & 0x10 != 0 else { return .success(f) }   // no capability list
        let pointerAt = headerType & 0x7F == 2 ? 0x14 : 0x34
        var ptr = Int(u8(pointerAt) ?? 0) & ~3
        // Problems with a pointer are reported where the pointer is (`from`), which is always
        // inside the bytes, not at the offset it points to.
        var from = pointerAt
        // Linux gives up after 48 capabilities (PCI_FIND_CAP_TTL); a loop is seen sooner.
        var seen = Set<Int>()
        while ptr != 0 {
            guard ptr >= 0x40 else {
                return .failure(Problem(offset: from, message: "capability pointer \(hexByte(ptr)) points into the header"))
            }
            guard ptr + 1 < bytes.count else {
                // A user's 64-byte read: the list is there but cannot be read.
                if bytes.count <= 64 { f.capabilitiesRead = false; f.portType = nil; return .success(f) }
                return .failure(Problem(offset: from, message: "capability pointer \(hexByte(ptr)) points past the end of config space (\(bytes.count) bytes)"))
            }
            guard seen.insert(ptr).inserted, seen.count <= 48 else {
                return .failure(Problem(offset: from, message: "the capability list loops back to \(hexByte(ptr))"))
            }
            let id = u8(ptr) ?? 0
            if id == 0x10 {
                guard let caps = u16(ptr + 2) else { return .failure(Problem(offset: ptr + 2, message: "the Express capability is cut off")) }
                f.portType = Self.portType(Int(caps >> 4) & 0xF)
                if f.portType == nil {
                    return .failure(Problem(offset: ptr + 2, message: "Express port type \(Int(caps >> 4) & 0xF) is reserved"))
                }
            } else if id == 0x0D, headerType & 0x7F == 1, let sv = u16(ptr + 4), let sd = u16(ptr + 6) {
                f.subsystem = (sv, sd)   // a bridge's subsystem ID capability
            }
            from = ptr + 1
            ptr = Int(u8(ptr + 1) ?? 0) & ~3
        }
        return extended(&f).map { f }
    }

    /// The extended capability list at 0x100, when the file holds it (root's 4096 bytes).
    func extended(_ f: inout HostFunction) -> Result<Void, Problem> {
        guard bytes.count >= 0x104, f.portType?.isPCIe == true else { return .success(()) }
        var at = 0x100
        // Where the pointer to `at` is: bits 31:20 of the previous header, at its byte 2.
        var from = 0x100
        var seen = Set<Int>()
        while at != 0 {
            guard at >= 0x100, at + 4 <= bytes.count else {
                return .failure(Problem(offset: from, message: "extended capability pointer \(hexWord(at)) points outside extended config space"))
            }
            guard seen.insert(at).inserted else {
                return .failure(Problem(offset: from, message: "the extended capability list loops back to \(hexWord(at))"))
            }
            let header = u32(at) ?? 0
            if header == 0 || header == 0xFFFF_FFFF { break }   // no extended capabilities
            let id = header & 0xFFFF
            switch id {
            case 0x000D:
                guard let cap = u16(at + 4), let ctl = u16(at + 6) else { return .failure(Problem(offset: at + 4, message: "the ACS capability is cut off")) }
                f.acs = ACSCapability(capability: ACSFlags(rawValue: UInt8(truncatingIfNeeded: cap & 0x7F)),
                                      control: ACSFlags(rawValue: UInt8(truncatingIfNeeded: ctl & 0x7F)))
            case 0x000E:
                f.ari = true
            case 0x0010:
                guard let ini = u16(at + 0x0C), let total = u16(at + 0x0E), let num = u16(at + 0x10),
                      let off = u16(at + 0x14), let stride = u16(at + 0x16), let vfd = u16(at + 0x1A) else {
                    return .failure(Problem(offset: at, message: "the SR-IOV capability is cut off"))
                }
                f.sriov = SRIOVCapability(initialVFs: Int(ini), totalVFs: Int(total), enabledVFs: Int(num), offset: Int(off), stride: Int(stride), vfDevice: vfd)
            default:
                break
            }
            from = at + 2
            at = Int(header >> 20) & ~3
        }
        return .success(())
    }

    /// PCIe base spec 7.5.3.2, Device/Port Type.
    static func portType(_ v: Int) -> PCIPortType? {
        switch v {
        case 0: return .endpoint
        case 1: return .legacyEndpoint
        case 4: return .rootPort
        case 5: return .upstreamPort
        case 6: return .downstreamPort
        case 7: return .pcieToPCI
        case 8: return .pciToPCIe
        case 9: return .rcIntegratedEndpoint
        case 10: return .rcEventCollector
        default: return nil
        }
    }
}

func hexByte(_ v: Int) -> String { "0x" + hex2(UInt8(truncatingIfNeeded: v)) }

func hexWord(_ v: Int) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 3 - s.count)) + s
}

import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    package mutating func domain(_ n: YAMLNodeID) -> DomainDecl? {
        guard var f = fields(n, "a domain") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "domain name")
        var d = DomainDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        if let v = require(&f, "iommu") { d.iommu = name(v, "IOMMU") }
        if let v = optional(&f, "type") { d.type = word(v, "domain type", DomainType.self) ?? { d.complete = false; return .translated }() }
        if let v = optional(&f, "stage") {
            if let x = integer(v, "stage", in: 1 ... 2) { d.stage = TranslationStage(rawValue: Int(x)) } else { d.complete = false }
        }
        if let v = optional(&f, "mappings") { d.mappings = entries(v, "mappings") { $0.mapping($1) } }
        finish(f)
        if d.iommu == nil { d.complete = false }
        return nm == nil ? nil : d
    }

    package mutating func mapping(_ n: YAMLNodeID) -> MappingDecl? {
        guard var f = fields(n, "a mapping") else { return nil }
        suppressions(&f)
        let iovaN = require(&f, "iova"), physN = require(&f, "phys"), sizeN = require(&f, "size")
        let iova = iovaN.flatMap { integer($0, "iova") }
        let length = sizeN.flatMap { self.size($0, "mapping size") }
        let phys = physN.flatMap { physical($0) }
        var perm = Permissions.readWrite
        var ok = true
        if let v = optional(&f, "perm") {
            if let p = permissions(v) { perm = p } else { ok = false }
        }
        var pageSize: UInt64?
        if let v = optional(&f, "page-size") {
            if let p = powerOfTwo(v, "page-size") { pageSize = p } else { ok = false }
        }
        finish(f)
        guard ok, let iova, let size = length, let phys, let sizeN, let iovaN else { return nil }
        guard AddressRange(base: iova, size: size) != nil else {
            error(CheckID.addressOverflow, "mapping iova \(hex(iova)) + \(sizeText(size)) runs past the top of the 64-bit address space", sizeN,
                  notes: [DiagnosticNote("iova given here", at: range(iovaN))])
            return nil
        }
        if case let .absolute(p) = phys, AddressRange(base: p, size: size) == nil, let physN {
            error(CheckID.addressOverflow, "mapping phys \(hex(p)) + \(sizeText(size)) runs past the top of the 64-bit address space", physN)
            return nil
        }
        return MappingDecl(iova: iova, phys: phys, size: size, perm: perm, pageSize: pageSize, origin: origin(n))
    }

    /// `phys: 0x8000_0000`, `phys: dram`, or `phys: dram + 0x1000`.
    package mutating func physical(_ n: YAMLNodeID) -> PhysDecl? {
        guard let text = string(n, "phys") else { return nil }
        let bytes = Array(text.utf8)
        guard let first = bytes.first, (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) || first == 0x5F else {
            return integer(n, "phys").map { .absolute($0) }
        }
        // A region name runs to the first space or '+'; an offset expression may follow '+'.
        let end = bytes.firstIndex { $0 == 0x20 || $0 == 0x2B || $0 == 0x09 } ?? bytes.count
        let nameBytes = Array(bytes[..<end])
        guard Self.isValidName(nameBytes) else {
            error(CheckID.badName, "'\(Self.printable(text))' is neither an address nor 'region + offset'", n)
            return nil
        }
        let ref = Ref(name: String(decoding: nameBytes, as: UTF8.self), range: range(n))
        var rest = bytes[end...].drop { $0 == 0x20 || $0 == 0x09 }
        if rest.isEmpty { return .region(ref, offset: 0) }
        guard rest.first == 0x2B else {
            error(CheckID.badNumber, "after region '\(ref.name)' only '+ offset' may follow", n)
            return nil
        }
        rest = rest.dropFirst()
        let r = Array(rest).withUnsafeBufferPointer { IntegerSyntax.evaluate($0) }
        switch r {
        case let .success(off): return .region(ref, offset: off)
        case let .failure(.malformed(m)):
            error(CheckID.badNumber, "phys offset: \(m)", n)
        case .failure(.overflow):
            error(CheckID.badNumber, "phys offset does not fit in 64 bits", n)
        case .failure(.negative):
            error(CheckID.badNumber, "phys offset is negative", n)
        }
        return nil
    }

    /// `r`, `w` or `rw`.
    package mutating func permissions(_ n: YAMLNodeID) -> Permissions? {
        guard let s = string(n, "perm") else { return nil }
        switch s {
        case "r": return .read
        case "w": return .write
        case "rw": return .readWrite
        default:
            error(CheckID.invalidValue, "perm '\(Self.printable(s))' is not one of: r, w, rw", n)
            return nil
        }
    }

    package mutating func attachment(_ n: YAMLNodeID) -> AttachmentDecl? {
        guard var f = fields(n, "an attachment") else { return nil }
        suppressions(&f)
        let dev = require(&f, "device").flatMap { name($0, "device") }
        let dom = require(&f, "domain").flatMap { name($0, "domain") }
        finish(f)
        return AttachmentDecl(device: dev, domain: dom, origin: origin(n))
    }
}

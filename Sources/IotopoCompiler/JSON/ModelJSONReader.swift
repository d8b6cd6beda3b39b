import IotopoModel
import IotopoSource
import IotopoYAML

extension ModelJSON {
    /// Reads a model written by `render`, validates it, and runs the model checks on it.
    /// Diagnostics from the checks point into the YAML sources the model names (loaded
    /// when still readable, for snippets).
    public static func load(path: String, options: CompileOptions = CompileOptions()) -> CompileResult {
        var files = SourceFiles()
        var sink = DiagnosticSink()
        let bytes: [UInt8]
        switch FileReader.read(path, limit: options.limits.maxFileSize) {
        case let .success(b): bytes = b
        case let .failure(f):
            sink.error(f.tooLarge ? YAMLCheck.limit : CheckID.ioError, "cannot read '\(path)': \(f.reason)", at: nil)
            return CompileResult(files: files, model: nil, diagnostics: sink.diagnostics)
        }
        let id = files.add(path: path, bytes: bytes)
        guard let doc = YAMLLoader.parse(bytes, file: id, limits: options.limits, sink: &sink) else {
            return CompileResult(files: files, model: nil, diagnostics: sink.diagnostics)
        }
        var reader = JSONNodeReader(doc: doc)
        let model = read(&reader)
        guard let model, !reader.sink.hasErrors else {
            return CompileResult(files: files, model: nil, diagnostics: reader.sink.diagnostics.sorted(by: Diagnostic.printOrder))
        }
        var sources = SourceFiles()
        // The sources a model names are read only inside the scope includes have
        // (docs/security.md): snippets quote them, so a model naming `/etc/shadow` would print it.
        let scope = options.includes.confinement(forRoot: path)
        for s in model.sources {
            let inside = scope?.contains(s) ?? true
            let b = inside ? try? FileReader.read(s, limit: options.limits.maxFileSize).get() : nil
            _ = sources.add(path: s, bytes: b)
        }
        return Compiler.check(model: model, files: sources, options: options)
    }

    /// Parses a model from JSON text (tests and the fuzz harness).
    public static func parse(_ text: String) -> (SystemModel?, [Diagnostic]) {
        var sink = DiagnosticSink()
        guard let doc = YAMLLoader.parse(Array(text.utf8), file: FileID(0), limits: YAMLLimits(maxFileSize: .max, maxDepth: 64, maxAliasNodes: 0, maxNodes: .max), sink: &sink) else {
            return (nil, sink.diagnostics)
        }
        var reader = JSONNodeReader(doc: doc)
        let m = read(&reader)
        return (reader.sink.hasErrors ? nil : m, reader.sink.diagnostics)
    }

    static func names(_ r: inout JSONNodeReader, _ items: [YAMLNodeID]) -> [String] {
        items.map { r.string($0, "name") ?? "" }
    }

    static func read(_ r: inout JSONNodeReader) -> SystemModel? {
        guard let root = r.doc.root else { r.sink.error(CheckID.invalidModel, "empty file", at: .fileStart(r.doc.file)); return nil }
        guard r.string(root, "format") == formatName else {
            r.fail("not an iotopo model (expected \"format\": \"\(formatName)\")", root)
            return nil
        }
        guard let vn = r.req(root, "version"), let v = r.integer(vn, max: 1000) else { return nil }
        guard v == formatVersion else {
            r.fail("unsupported model version \(v) (this iotopo reads version \(formatVersion))", vn)
            return nil
        }
        guard let srcNodes = r.array(root, "sources") else { return nil }
        let sources = srcNodes.map { r.doc.string($0) }
        let n = sources.count
        guard let pn = r.req(root, "platform"), let regions = r.array(root, "regions"), let buses = r.array(root, "buses"),
              let bridges = r.array(root, "bridges"), let iommus = r.array(root, "iommus"), let devices = r.array(root, "devices"),
              let domains = r.array(root, "domains"), let mappings = r.array(root, "mappings"),
              let attachments = r.array(root, "attachments"), let suppressions = r.array(root, "suppressions") else { return nil }
        let names = (regions: Self.names(&r, regions), buses: Self.names(&r, buses), bridges: Self.names(&r, bridges),
                     iommus: Self.names(&r, iommus), devices: Self.names(&r, devices), domains: Self.names(&r, domains))
        guard let pname = r.string(pn, "name"), let pdesc = r.string(pn, "description"),
              let pbits = r.integer(pn, "addressBits", max: 64), let porig = r.origin(pn, files: n) else { return nil }
        var m = SystemModel(sources: sources, platform: Platform(name: pname, description: pdesc, addressBits: UInt8(pbits), origin: porig))
        if r.field(pn, "kernel") != nil { m.platform.kernel = r.string(pn, "kernel") }
        if r.field(pn, "quirkRelease") != nil { m.platform.quirkRelease = r.string(pn, "quirkRelease") }
        if r.field(pn, "unverified") != nil { m.platform.unverified = r.string(pn, "unverified") }
        var declaredMappings: [(Int, YAMLNodeID)] = []
        for (i, o) in regions.enumerated() {
            guard checkID(&r, o, i), let base = r.address(o, "base"), let last = r.address(o, "last"),
                  let kind = r.word(o, "kind", MemoryKind.self), let secure = r.bool(o, "secure"),
                  let owner = r.optionalRef(o, "owner", names.devices, Device.self), let origin = r.origin(o, files: n) else { continue }
            guard last >= base else { r.fail("region \"last\" is below its \"base\"", o); continue }
            m.regions.append(MemoryRegion(name: names.regions[i], range: AddressRange(base: base, last: last), kind: kind, secure: secure, owner: owner, origin: origin))
        }
        for (i, o) in buses.enumerated() {
            guard checkID(&r, o, i), let kind = r.word(o, "kind", BusKind.self), let seg = r.integer(o, "segment", max: 0xFFFF_FFFF),
                  let number = r.optionalInteger(o, "number", max: 255), let origin = r.origin(o, files: n) else { continue }
            if kind.isPCI != (number != nil) { r.fail("a PCI bus has a number and no other bus does", o); continue }
            m.buses.append(Bus(name: names.buses[i], kind: kind, segment: UInt32(seg), number: number.map { UInt8($0) }, origin: origin))
        }
        for (i, o) in bridges.enumerated() {
            if var b = bridge(&r, o, i, names.buses, files: n) {
                b.name = names.bridges[i]
                if let p = r.field(o, "pci") { b.pci = r.pciIdentity(p) }
                b.quirks = r.quirks(o) ?? []
                if r.field(o, "noAlias") != nil { b.noAlias = r.bool(o, "noAlias") ?? false }
                if r.field(o, "idMap") != nil, let list = r.array(o, "idMap") {
                    for e in list {
                        guard let base = r.integer(e, "ridBase", max: 0xFFFF_FFFF), let io = r.ref(e, "iommu", names.iommus, IOMMU.self),
                              let out = r.integer(e, "outputBase", max: 0xFFFF_FFFF), let len = r.integer(e, "length", max: 0xFFFF_FFFF),
                              let eo = r.origin(e, files: n) else { continue }
                        b.idMap.append(HostIDMapEntry(ridBase: UInt32(base), iommu: io, outputBase: UInt32(out), length: UInt32(len), origin: eo))
                    }
                    b.idMapMask = r.integer(o, "idMapMask", max: 0xFFFF_FFFF).map { UInt32($0) } ?? .max
                }
                if r.field(o, "msiMap") != nil, let list = r.array(o, "msiMap") {
                    for e in list {
                        guard let base = r.integer(e, "ridBase", max: 0xFFFF_FFFF), let ctl = r.string(e, "msiController"),
                              let out = r.integer(e, "outputBase", max: 0xFFFF_FFFF), let len = r.integer(e, "length", max: 0xFFFF_FFFF),
                              let eo = r.origin(e, files: n) else { continue }
                        b.msiMap.append(MSIMapEntry(ridBase: UInt32(base), controller: ctl, outputBase: UInt32(out), length: UInt32(len), origin: eo))
                    }
                    b.msiMapMask = r.integer(o, "msiMapMask", max: 0xFFFF_FFFF).map { UInt32($0) } ?? .max
                }
                m.bridges.append(b)
            }
        }
        for (i, o) in iommus.enumerated() {
            if var u = iommu(&r, o, i, names.bridges, names.buses, names.devices, files: n) {
                u.name = names.iommus[i]
                if r.field(o, "scope") != nil, let list = r.array(o, "scope") {
                    var scope: [IOMMUScopeEntry] = []
                    for x in list {
                        if let b = r.field(x, "bridge") {
                            guard let id = r.ref(b, names.bridges, Bridge.self) else { return nil }
                            scope.append(.bridge(id))
                        } else if let b = r.field(x, "bus") {
                            guard let id = r.ref(b, names.buses, Bus.self) else { return nil }
                            scope.append(.bus(id))
                        } else if let b = r.field(x, "device") {
                            guard let id = r.ref(b, names.devices, Device.self) else { return nil }
                            scope.append(.device(id))
                        } else {
                            guard let a = r.rid(x, "first"), let f = a, let b = r.rid(x, "last"), let l = b else { return nil }
                            scope.append(.rids(RIDRange(first: f, last: l)))
                        }
                    }
                    u.scope = scope
                }
                if r.field(o, "includeAll") != nil { u.includeAll = r.bool(o, "includeAll") ?? false }
                if r.field(o, "aliases") != nil, let list = r.array(o, "aliases") {
                    for a in list {
                        guard let f = r.rid(a, "first"), let first = f, let l = r.rid(a, "last"), let last = l, let s = r.rid(a, "as"), let alias = s,
                              let ao = r.origin(a, files: n) else { continue }
                        u.aliasRanges.append(IOMMUAlias(range: RIDRange(first: first, last: last), as: alias, origin: ao))
                    }
                }
                if r.field(o, "alsoAt") != nil, let list = r.array(o, "alsoAt") {
                    for p in list {
                        if let b = r.field(p, "bridge") {
                            guard let id = r.ref(b, names.bridges, Bridge.self) else { return nil }
                            u.alsoAt.append(.bridge(id))
                        } else if let b = r.field(p, "bus") {
                            guard let id = r.ref(b, names.buses, Bus.self) else { return nil }
                            u.alsoAt.append(.bus(id))
                        }
                    }
                }
                m.iommus.append(u)
            }
        }
        for (i, o) in devices.enumerated() {
            if var d = device(&r, o, i, names.buses, files: n) {
                d.name = names.devices[i]
                if let p = r.field(o, "pci") { d.pci = r.pciIdentity(p) }
                if r.field(o, "portType") != nil { d.portType = r.word(o, "portType", PCIPortType.self) }
                if r.field(o, "physfn") != nil, let p = r.ref(o, "physfn", names.devices, Device.self) { d.physfn = p }
                d.quirks = r.quirks(o) ?? []
                if r.field(o, "defaultDomain") != nil { d.defaultDomain = r.string(o, "defaultDomain") }
                if r.field(o, "streamMasks") != nil, let list = r.array(o, "streamMasks") {
                    d.streamMasks = list.compactMap { r.integer($0, max: 0xFFFF_FFFF).map { UInt32($0) } }
                }
                if r.field(o, "pcieEndpoint") != nil { d.pcieEndpoint = r.bool(o, "pcieEndpoint") ?? false }
                if r.field(o, "busAliases") != nil, let list = r.array(o, "busAliases") {
                    d.busAliases = list.compactMap { v in r.doc.kind(v) == .scalar ? RequesterID(parsing: r.doc.string(v)) : nil }
                }
                m.devices.append(d)
            }
        }
        for (i, o) in domains.enumerated() {
            guard checkID(&r, o, i), let u = r.ref(o, "iommu", names.iommus, IOMMU.self), let type = r.word(o, "type", DomainType.self),
                  let count = r.integer(o, "mappings", max: UInt64(Int32.max)), let origin = r.origin(o, files: n) else { continue }
            declaredMappings.append((Int(count), o))
            // "stage" is absent from models written before stages existed: the default then.
            var stage = TranslationStage.defaultStage(m.iommus[u].kind)
            if r.field(o, "stage") != nil {
                guard let s = r.integer(o, "stage", max: 2).flatMap({ TranslationStage(rawValue: Int($0)) }) else { r.fail("\"stage\" must be 1 or 2", o); continue }
                stage = s
            }
            m.domains.append(Domain(name: names.domains[i], iommu: u, type: type, stage: stage, mappings: [], origin: origin))
        }
        for o in mappings {
            guard let d = r.ref(o, "domain", names.domains, Domain.self), d.index < m.domains.count,
                  let iova = r.address(o, "iova"), let iovaLast = r.address(o, "iovaLast"),
                  let phys = r.address(o, "phys"), let permText = r.string(o, "perm"),
                  let page = r.address(o, "pageSize"), let region = r.optionalRef(o, "region", names.regions, MemoryRegion.self),
                  let origin = r.origin(o, files: n) else { continue }
            let perm: Permissions = permText == "rw" ? .readWrite : permText == "r" ? .read : permText == "w" ? .write : []
            guard iovaLast >= iova else { r.fail("mapping \"iovaLast\" is below its \"iova\"", o); continue }
            guard phys <= UInt64.max - (iovaLast - iova) else { r.fail("mapping's physical range runs past 2^64", o); continue }
            guard !perm.isEmpty else { r.fail("\"perm\" must be \"r\", \"w\" or \"rw\"", o); continue }
            guard page.nonzeroBitCount == 1 else { r.fail("\"pageSize\" must be a power of two", o); continue }
            var mp = Mapping(iova: AddressRange(base: iova, last: iovaLast), phys: phys, perm: perm, pageSize: page, region: region, origin: origin)
            if r.field(o, "requestedPerm") != nil, let text = r.string(o, "requestedPerm") {
                mp.requested = text == "rw" ? .readWrite : text == "r" ? .read : text == "w" ? .write : nil
            }
            guard m.domains[d.index].stage.holds(mp.requested ?? perm) == perm else { r.fail("\"perm\" is not what a stage-\(m.domains[d.index].stage.rawValue) table holds for \"requestedPerm\"", o); continue }
            m.domains[d.index].mappings.append(mp)
        }
        for o in attachments {
            guard let d = r.ref(o, "device", names.devices, Device.self), let dom = r.ref(o, "domain", names.domains, Domain.self),
                  let origin = r.origin(o, files: n) else { continue }
            m.attachments.append(Attachment(device: d, domain: dom, origin: origin))
        }
        for o in suppressions {
            guard let check = r.string(o, "check"), let reason = r.string(o, "reason"), let sv = r.req(o, "scope"),
                  let scope = r.range(sv, files: n), let origin = r.origin(o, files: n) else { continue }
            m.suppressions.append(Suppression(check: check, reason: reason, scope: scope, origin: origin))
        }
        if r.field(root, "observedGroups") != nil, let groups = r.array(root, "observedGroups") {
            for o in groups {
                guard let g = r.integer(o, "group", max: UInt64(Int32.max)), let list = r.array(o, "members"), let origin = r.origin(o, files: n) else { continue }
                let members: [FunctionRef] = list.compactMap { x in
                    if r.field(x, "device") != nil { return r.ref(x, "device", names.devices, Device.self).map { .device($0) } }
                    return r.ref(x, "bridge", names.bridges, Bridge.self).map { .bridge($0) }
                }
                let type: String? = r.field(o, "type").flatMap { r.doc.isNull($0) ? nil : r.string(o, "type") }
                m.observedGroups.append(ObservedGroup(number: Int(g), members: members, type: type, origin: origin))
            }
        }
        // Policies and VMs came after version 1's first release: absent means none.
        if r.field(root, "policies") != nil, let policies = r.array(root, "policies") {
            for o in policies {
                if let p = policy(&r, o, names.devices, names.regions, files: n) { m.policies.append(p) }
            }
        }
        if r.field(root, "vms") != nil, let vms = r.array(root, "vms") {
            for o in vms {
                guard let name = r.string(o, "name"), let mem = r.array(o, "memory"), let devs = r.array(o, "devices"),
                      let origin = r.origin(o, files: n) else { continue }
                var ranges: [AddressRange] = []
                for x in mem {
                    guard let base = r.address(x, "base"), let last = r.address(x, "last") else { continue }
                    guard last >= base else { r.fail("VM memory \"last\" is below its \"base\"", x); continue }
                    ranges.append(AddressRange(base: base, last: last))
                }
                m.vms.append(VirtualMachine(name: name, memory: ranges, devices: devs.compactMap { r.ref($0, names.devices, Device.self) }, origin: origin))
            }
        }
        // Only meaningful when every mapping was read: a dropped one is already reported.
        for (d, (count, node)) in zip(m.domains.indices, declaredMappings) where !r.sink.hasErrors && m.domains[d].mappings.count != count {
            r.fail("domain says it has \(count) mappings but the mappings table holds \(m.domains[d].mappings.count) for it", node)
        }
        let counts = (m.regions.count, m.buses.count, m.bridges.count, m.iommus.count, m.devices.count, m.domains.count)
        if counts != (regions.count, buses.count, bridges.count, iommus.count, devices.count, domains.count), !r.sink.hasErrors {
            r.fail("the model is inconsistent", root)
        }
        return r.sink.hasErrors ? nil : m
    }

    static func policy(_ r: inout JSONNodeReader, _ o: YAMLNodeID, _ devices: [String], _ regions: [String], files n: Int) -> Policy? {
        guard let name = r.string(o, "name"), let rule = r.string(o, "rule"), let origin = r.origin(o, files: n) else { return nil }
        func patterns(_ r: inout JSONNodeReader) -> [DevicePattern]? {
            guard let list = r.array(o, "devices") else { return nil }
            return list.compactMap { x in
                guard let t = r.string(x, "pattern"), let po = r.origin(x, files: n) else { return nil }
                return DevicePattern(text: t, origin: po)
            }
        }
        func regionRefs(_ r: inout JSONNodeReader) -> [RegionID]? {
            r.array(o, "regions").map { $0.compactMap { r.ref($0, regions, MemoryRegion.self) } }
        }
        switch rule {
        case "deny":
            guard let permText = r.string(o, "perm"), let d = patterns(&r), let g = regionRefs(&r) else { return nil }
            let perm: Permissions = permText == "rw" ? .readWrite : permText == "r" ? .read : permText == "w" ? .write : []
            guard !perm.isEmpty else { r.fail("\"perm\" must be \"r\", \"w\" or \"rw\"", o); return nil }
            return Policy(name: name, rule: .deny(perm, devices: d, regions: g), origin: origin)
        case "only-writers":
            guard let d = patterns(&r), let g = regionRefs(&r) else { return nil }
            return Policy(name: name, rule: .onlyWriters(devices: d, regions: g), origin: origin)
        case "isolated":
            guard let list = r.array(o, "devices") else { return nil }
            return Policy(name: name, rule: .isolated(list.compactMap { r.ref($0, devices, Device.self) }), origin: origin)
        default:
            r.fail("\"rule\" has unknown value \"\(rule)\"", o)
            return nil
        }
    }

    static func checkID(_ r: inout JSONNodeReader, _ o: YAMLNodeID, _ i: Int) -> Bool {
        guard let id = r.integer(o, "id", max: UInt64(Int32.max)) else { return false }
        if id != UInt64(i) { r.fail("\"id\" is \(id) but the entry is number \(i) of its table", o); return false }
        return true
    }

    static func bridge(_ r: inout JSONNodeReader, _ o: YAMLNodeID, _ i: Int, _ buses: [String], files n: Int) -> Bridge? {
        guard checkID(&r, o, i), let kind = r.word(o, "kind", BridgeKind.self), let up = r.ref(o, "upstream", buses, Bus.self),
              let down = r.ref(o, "downstream", buses, Bus.self), let wins = r.array(o, "windows"), let acs = r.acs(o),
              let rid = r.rid(o, "rid"), let mf = r.bool(o, "multifunction"), let tr = r.bool(o, "translationRoot"),
              let pa = r.bool(o, "pcieAlias"), let origin = r.origin(o, files: n) else { return nil }
        var windows: [DMAWindow] = []
        for w in wins {
            guard let c = r.address(w, "child"), let cl = r.address(w, "childLast"), let p = r.address(w, "parent"),
                  let wo = r.origin(w, files: n) else { return nil }
            guard cl >= c, p <= UInt64.max - (cl - c) else { r.fail("malformed DMA window (empty, or its parent range passes 2^64)", w); return nil }
            windows.append(DMAWindow(child: AddressRange(base: c, last: cl), parentBase: p, origin: wo))
        }
        return Bridge(name: "", kind: kind, upstream: up, downstream: down, windows: windows, acs: acs, rid: rid, multifunction: mf,
                      translationRoot: tr, pcieAlias: pa, origin: origin)
    }

    static func iommu(_ r: inout JSONNodeReader, _ o: YAMLNodeID, _ i: Int, _ bridges: [String], _ buses: [String], _ devices: [String],
                      files n: Int) -> IOMMU? {
        guard checkID(&r, o, i), let kind = r.word(o, "kind", IOMMUKind.self), let at = r.req(o, "at"),
              let ib = r.integer(o, "inputBits", max: 64), let ob = r.integer(o, "outputBits", max: 64),
              let g = r.address(o, "granule"), let ps = r.array(o, "pageSizes"), let tlb = r.req(o, "iotlb"),
              let sets = r.integer(tlb, "sets", max: 65536), let ways = r.integer(tlb, "ways", max: 64),
              let hit = r.integer(tlb, "hitCycles", max: 1_000_000), let walk = r.integer(tlb, "walkCyclesPerLevel", max: 1_000_000),
              let ir = r.bool(o, "interruptRemapping"), let remap = r.array(o, "remapTable"),
              let sidBits = r.integer(o, "streamIdBits", max: 32), let idMapNodes = r.array(o, "idMap"),
              let mask = r.address(o, "idMapMask"), let unmatched = r.word(o, "unmatched", UnmatchedPolicy.self),
              let origin = r.origin(o, files: n) else { return nil }
        let problems: [(Bool, String)] = [
            (g.nonzeroBitCount == 1 && (12 ... 16).contains(g.trailingZeroBitCount), "\"granule\" must be a power of two from 4KiB to 64KiB"),
            (ib > g.trailingZeroBitCount && ib >= 16 && ob >= 16, "\"inputBits\" and \"outputBits\" must be at least 16, and input wider than the granule"),
            (sets > 0 && sets.nonzeroBitCount == 1 && ways > 0, "IOTLB sets must be a power of two and ways at least 1"),
            (sidBits > 0, "\"streamIdBits\" must be at least 1"),
            (mask <= 0xFFFF_FFFF, "\"idMapMask\" is a 32-bit mask"),
        ]
        if let p = problems.first(where: { !$0.0 }) { r.fail(p.1, o); return nil }
        let placement: Placement
        if let b = r.field(at, "bridge") {
            guard let id = r.ref(b, bridges, Bridge.self) else { return nil }
            placement = .bridge(id)
        } else if let b = r.field(at, "bus") {
            guard let id = r.ref(b, buses, Bus.self) else { return nil }
            placement = .bus(id)
        } else {
            r.fail("\"at\" must name a bridge or a bus", at)
            return nil
        }
        var pageSizes: UInt64 = 0
        for p in ps {
            guard let x = r.address(p), x.nonzeroBitCount == 1 else { r.fail("page sizes are powers of two", p); return nil }
            pageSizes |= x
        }
        var table: [RemapEntry] = []
        for e in remap {
            guard let idx = r.integer(e, "index", max: 0xFFFF), let src = r.optionalRef(e, "source", devices, Device.self),
                  let cpu = r.integer(e, "cpu", max: 0xFFFF_FFFF), let vec = r.integer(e, "vector", max: 255), let eo = r.origin(e, files: n) else { return nil }
            table.append(RemapEntry(index: UInt32(idx), source: src, cpu: UInt32(cpu), vector: UInt8(vec), origin: eo))
        }
        var idMap: [IDMapEntry] = []
        for e in idMapNodes {
            guard let b = r.integer(e, "ridBase", max: 0xFFFF_FFFF), let out = r.integer(e, "outputBase", max: 0xFFFF_FFFF),
                  let len = r.integer(e, "length", max: 0xFFFF_FFFF), let eo = r.origin(e, files: n) else { return nil }
            guard len > 0, out + len - 1 <= 0xFFFF_FFFF else { r.fail("id-map entry must cover at least one ID and stay within 32 bits", e); return nil }
            idMap.append(IDMapEntry(ridBase: UInt32(b), outputBase: UInt32(out), length: UInt32(len), origin: eo))
        }
        let u = IOMMU(name: "", kind: kind, placement: placement, inputBits: UInt8(ib), outputBits: UInt8(ob), granuleShift: UInt8(g.trailingZeroBitCount),
                      pageSizes: pageSizes, iotlb: IOTLBGeometry(sets: UInt32(sets), ways: UInt32(ways), hitCycles: UInt32(hit), walkCyclesPerLevel: UInt32(walk)),
                      interruptRemapping: ir, remapTable: table, streamIDBits: UInt8(sidBits), idMap: idMap, idMapMask: UInt32(mask),
                      unmatched: unmatched, origin: origin)
        if Int(u.geometry.levels) > PageTableGeometry.maxLevels(kind) { r.fail("too many page-table levels for \(kind.rawValue)", o); return nil }
        if let lv = r.integer(o, "levels", max: 64), lv != UInt64(u.geometry.levels), let node = r.field(o, "levels") {
            r.fail("\"levels\" is \(lv) but \(u.inputBits) input bits with a \(sizeText(g)) granule give \(u.geometry.levels)", node)
            return nil
        }
        if kind == .armSMMUv3 || kind == .armSMMU, max(ib, ob) > UInt64(PageTableGeometry.armMaxAddressBits(granuleShift: UInt8(g.trailingZeroBitCount))) {
            r.fail("\(kind.rawValue) tables with a \(sizeText(g)) granule take at most \(PageTableGeometry.armMaxAddressBits(granuleShift: UInt8(g.trailingZeroBitCount))) input and output bits (no LPA2)", o)
            return nil
        }
        let possible = PageTableGeometry.possiblePageSizes(kind: kind, granuleShift: UInt8(g.trailingZeroBitCount), inputBits: UInt8(ib), outputBits: UInt8(ob))
        if pageSizes & ~possible != 0 || pageSizes & g == 0 {
            r.fail("\"pageSizes\" must include the granule and only sizes this table format allows", o)
            return nil
        }
        return u
    }

    static func device(_ r: inout JSONNodeReader, _ o: YAMLNodeID, _ i: Int, _ buses: [String], files n: Int) -> Device? {
        guard checkID(&r, o, i), let kind = r.string(o, "kind"), let bus = r.ref(o, "bus", buses, Bus.self), let rid = r.rid(o, "rid"),
              let sids = r.array(o, "streamIds"), let mf = r.bool(o, "multifunction"), let acs = r.acs(o), let dma = r.bool(o, "dma"),
              let bits = r.integer(o, "dmaBits", max: 64), let msiNode = r.req(o, "msi"), let aliases = r.array(o, "aliases"),
              let reserved = r.array(o, "reserved"), let origin = r.origin(o, files: n) else { return nil }
        guard bits > 0 else { r.fail("\"dmaBits\" must be from 1 to 64", o); return nil }
        var msi: MSICapability?
        if !r.doc.isNull(msiNode) {
            guard let v = r.integer(msiNode, "vectors", max: 2048), let h = r.optionalInteger(msiNode, "handle", max: 0xFFFF),
                  let cpu = r.integer(msiNode, "cpu", max: 0xFFFF_FFFF), let vec = r.integer(msiNode, "vector", max: 255),
                  let an = r.req(msiNode, "address") else { return nil }
            var address: UInt64?
            if !r.doc.isNull(an) { guard let a = r.address(an) else { return nil }; address = a }
            msi = MSICapability(vectors: UInt32(v), handle: h.map { UInt32($0) }, cpu: UInt32(cpu), vector: UInt8(vec), address: address)
        }
        var streamIDs: [UInt32] = []
        for s in sids { guard let x = r.integer(s, max: 0xFFFF_FFFF) else { return nil }; streamIDs.append(UInt32(x)) }
        var al: [UInt8] = []
        for a in aliases { guard let x = r.integer(a, max: 255) else { return nil }; al.append(UInt8(x)) }
        var res: [ReservedRange] = []
        for x in reserved {
            guard let b = r.address(x, "base"), let l = r.address(x, "last"), let xo = r.origin(x, files: n) else { return nil }
            guard l >= b else { r.fail("reserved range \"last\" is below its \"base\"", x); return nil }
            res.append(ReservedRange(range: AddressRange(base: b, last: l), origin: xo))
        }
        return Device(name: "", kind: kind, bus: bus, rid: rid, streamIDs: streamIDs, multifunction: mf, acs: acs, dmaCapable: dma,
                      dmaBits: UInt8(bits), msi: msi, aliases: al, reserved: res, origin: origin)
    }
}

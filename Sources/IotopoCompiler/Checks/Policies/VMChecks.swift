import IotopoAnalysis
import IotopoModel
import IotopoSource

extension ModelCheck {
    /// VFIO assigns whole IOMMU groups (Documentation/driver-api/vfio.rst): a device given to
    /// a VM takes every other device of its group with it, so the group must be assigned
    /// whole, to that one VM. Bridges in the group may stay with the host (the PCIe port
    /// driver manages its own DMA). A device assigned to two VMs is the same mistake.
    static let vmGroupSplit = ModelCheck("vm-group-split", .error, "an IOMMU group split between VMs, or between a VM and the host",
                                         after: ["attach-iommu-not-on-path"]) { c in
        let m = c.model
        guard !m.vms.isEmpty else { return }
        let groups = c.isolation().groups
        var owners: [DeviceID: [Int]] = [:]
        for (vi, vm) in m.vms.enumerated() {
            for d in vm.devices {
                if let other = owners[d]?.first, other != vi {
                    c.report("device '\(m.devices[d].name)' is assigned to VM '\(vm.name)' and to VM '\(m.vms[other].name)'", at: vm.origin,
                             notes: [c.note("VM '\(m.vms[other].name)' is declared here", m.vms[other].origin)])
                }
                if owners[d]?.contains(vi) != true { owners[d, default: []].append(vi) }
            }
        }
        for (vi, vm) in m.vms.enumerated() {
            var reported = Set<Int>()
            for d in vm.devices {
                guard let g = groups.groupOf[.pci(.device(d))] ?? groups.groupOf[.platform(d)], reported.insert(g).inserted else { continue }
                let grp = groups.groups[g]
                for (mem, reason) in zip(grp.members, grp.reasons) {
                    let o: DeviceID
                    switch mem {
                    case let .pci(.device(x)), let .platform(x): o = x
                    case .pci(.bridge): continue
                    }
                    guard o != d, owners[o]?.contains(vi) != true else { continue }
                    let whereTo = owners[o]?.first.map { "VM '\(m.vms[$0].name)'" } ?? "the host"
                    c.report("VM '\(vm.name)' gets device '\(m.devices[d].name)' but not '\(m.devices[o].name)' of the same IOMMU group \(g), which stays with \(whereTo); VFIO assigns whole groups",
                             at: vm.origin, notes: [c.note("'\(m.devices[o].name)' is in the group because \(reason.text)", reason.origin),
                                                    c.note("device '\(m.devices[o].name)' is declared here", m.devices[o].origin)])
                }
            }
        }
    }

    /// Firmware's reserved ranges (RMRR, IVMD unity ranges, IORT RMRs) must stay identity
    /// mapped for their device, and a VM's domain maps guest memory instead: Linux refuses to
    /// attach such a device to it, unless the ranges are relaxable (a USB controller's or a
    /// display device's RMRR; `Passthrough.requiresDirectMapping` cites the kernel).
    static let vmReservedRegion = ModelCheck("vm-reserved-region", .error, "a device assigned to a VM has firmware ranges that must stay identity-mapped",
                                             after: []) { c in
        let m = c.model
        for vm in m.vms {
            for d in vm.devices where Passthrough.requiresDirectMapping(m.devices[d]) {
                let dev = m.devices[d]
                c.report("VM '\(vm.name)' gets device '\(dev.name)', whose firmware requires \(dev.reserved.count) range\(dev.reserved.count == 1 ? "" : "s") identity-mapped: Linux refuses it a VM's domain ('Firmware has requested this device have a 1:1 IOMMU mapping')",
                         at: vm.origin, notes: dev.reserved.map { c.note("reserved range [\(hex($0.range.base)), \(hex($0.range.last))]", $0.origin) })
            }
        }
    }

    /// A device assigned to a VM must reach nothing but that VM's memory: its domain maps
    /// guest memory only. Anything else (another VM's memory, the host's, firmware's) is a
    /// hole in the VM's isolation; reported with the path that grants it.
    static let vmMemoryEscape = ModelCheck("vm-memory-escape", .error, "a device assigned to a VM reaches memory outside the VM",
                                           after: ["attach-iommu-not-on-path", "attach-conflict"]) { c in
        let m = c.model
        guard !m.vms.isEmpty else { return }
        let reach = c.isolation().reach
        for vm in m.vms {
            let guest = RangeSet(vm.memory)
            for d in vm.devices {
                guard let v = reach.view(of: d) else { continue }
                var reported = Set<RegionID>()
                for s in v.segments {
                    let outside = guest.missing(from: s.phys)
                    guard let first = outside.first else { continue }
                    let region = m.regions[s.region]
                    // MMIO of the device itself (its own BARs) is its own business.
                    if region.kind == .mmio && region.owner == d { continue }
                    // One finding per device and region: the first range shows the hole.
                    guard reported.insert(s.region).inserted else { continue }
                    c.report("device '\(m.devices[d].name)' of VM '\(vm.name)' can \(s.perm == .read ? "read" : s.perm == .write ? "write" : "read and write") \(c.span(first)) in region '\(region.name)', outside the VM's memory",
                             at: vm.origin, notes: c.pathNotes(d, s))
                }
            }
        }
    }

    /// Two VMs' memory must not overlap: a page both own is a page each can write behind the
    /// other's back.
    static let vmSharedMemory = ModelCheck("vm-shared-memory", .error, "two VMs' memory overlaps") { c in
        let m = c.model
        for (i, a) in m.vms.enumerated() {
            for b in m.vms[(i + 1)...] {
                for ra in a.memory {
                    guard let rb = b.memory.first(where: { $0.overlaps(ra) }), let shared = ra.intersection(rb) else { continue }
                    c.report("VMs '\(a.name)' and '\(b.name)' share memory \(c.span(shared))", at: b.origin,
                             notes: [c.note("VM '\(a.name)' is declared here", a.origin)])
                }
            }
        }
    }
}

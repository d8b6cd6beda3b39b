import IotopoModel

extension ModelCheck {
    /// Identity and blocked domains have no page table: mappings written in one are ignored,
    /// which is never what their author meant.
    static let mappingInUntranslatedDomain = ModelCheck("mapping-in-untranslated-domain", .error, "an identity or blocked domain lists mappings") { c in
        for d in c.model.domains where d.type != .translated {
            guard let first = d.mappings.first else { continue }
            c.report("domain '\(d.name)' is \(d.type.rawValue), so its \(d.mappings.count) mapping\(d.mappings.count == 1 ? "" : "s") would be ignored; make it translated or remove them",
                     at: first.origin, notes: [c.note("domain '\(d.name)' is defined here", d.origin)])
        }
    }
}

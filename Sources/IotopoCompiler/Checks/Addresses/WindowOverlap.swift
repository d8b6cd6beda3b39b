import IotopoModel

extension ModelCheck {
    /// Two DMA windows of one bridge covering the same child addresses: dma-ranges entries
    /// must be disjoint, or an address would have two translations.
    static let windowOverlap = ModelCheck("window-overlap", .error, "two DMA windows of one bridge cover the same child addresses") { c in
        for b in c.model.bridges {
            let sorted = b.windows.sorted { $0.child < $1.child }
            var widest: DMAWindow?
            for w in sorted {
                if let p = widest, p.child.overlaps(w.child) {
                    c.report("DMA window at child \(hex(w.child.base)) of bridge '\(b.name)' overlaps the window at child \(hex(p.child.base))",
                             at: w.origin, notes: [c.note("the other window", p.origin)])
                }
                if widest.map({ $0.child.last < w.child.last }) ?? true { widest = w }
            }
        }
    }
}

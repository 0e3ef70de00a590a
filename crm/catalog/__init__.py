"""The ingredient catalog: spec sheets, packs and price tiers."""

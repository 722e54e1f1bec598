"""Forms: XLSForm in, XForm and a typed form schema out; instance parsing and validation (pure)."""

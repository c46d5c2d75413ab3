extension String {
    /// nil for an empty string, so `??` can supply a default.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

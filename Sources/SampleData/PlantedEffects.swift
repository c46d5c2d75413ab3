public import ProfileStore

/// The effects on engagement the sample data plants, exported as ground truth
/// (`onering data generate --truth FILE.json`) so estimators can be checked against them.
///
/// A post's engagement rate is exp(−3.5 + level + audience + format + trend + noise), capped
/// at 0.5, where, on the log scale:
/// - level: the creator's own level, normal with ``creatorLevelSD`` (heavy-tailed reach comes on top, in views);
/// - audience: the creator's main niche's ``AudienceActivity`` curve at the post's UTC hour of the week;
/// - format: the sum of ``formats``' effects of the post's ``PostFeatures`` on its platform;
/// - trend: ``trendingEffect`` for a post about its niche's trending topic in the last seven days;
/// - noise: normal with ``noiseSD`` per post.
///
/// Creators post at their habitual hours, and creators with a higher level keep earlier
/// habits than the rest, so hour and creator are confounded: a slot's median mixes the two.
public enum PlantedEffects {
    /// The spread of creators' own levels (log scale).
    public static let creatorLevelSD = 0.3
    /// The spread of a post around its expectation (log scale).
    public static let noiseSD = 0.45
    /// A trending topic's effect in its surge week (log scale).
    public static let trendingEffect = 0.3

    /// Effects of post features by platform (log scale); a missing platform means no effect.
    public static let formats: [String: [String: Double]] = [
        "question": ["x": 0.30, "linkedin": 0.35, "threads": 0.30, "instagram": 0.20, "tiktok": 0.15],
        "thread": ["x": 0.35, "threads": 0.30, "linkedin": 0.15, "instagram": -0.20, "tiktok": -0.25],
        "hook": ["x": 0.20, "linkedin": 0.20, "threads": 0.20, "instagram": 0.25, "tiktok": 0.35],
        "long": ["x": -0.25, "linkedin": 0.25, "threads": -0.15, "instagram": 0.0, "tiktok": -0.20],
        "emoji": ["x": 0.0, "linkedin": -0.20, "threads": 0.05, "instagram": 0.20, "tiktok": 0.20],
        "many_hashtags": ["x": -0.30, "linkedin": -0.20, "threads": -0.10, "instagram": 0.15, "tiktok": 0.05],
    ]

    /// The summed format effect of `features` on `platform` (log scale).
    static func formatEffect(_ features: PostFeatures, platform: String) -> Double {
        PostFeatures.named.reduce(0) { sum, entry in
            features.contains(entry.feature) ? sum + (formats[entry.name]?[platform] ?? 0) : sum
        }
    }
}

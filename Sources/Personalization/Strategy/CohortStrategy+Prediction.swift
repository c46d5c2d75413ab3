internal import Foundation
public import ProfileStore

extension CohortStrategy {
    /// A post's predicted effect on the log scale against an average hour with no features.
    public struct Prediction: Sendable, Equatable {
        /// The summed effect.
        public var effect: Double
        /// Its standard error (the parts' errors combined as if independent).
        public var standardError: Double
        /// Each part: the hour, then every factor that applies, with its uplift.
        public var parts: [(factor: String, uplift: Double)]

        public static func == (a: Prediction, b: Prediction) -> Bool {
            a.effect == b.effect && a.standardError == b.standardError && a.parts.map(\.factor) == b.parts.map(\.factor)
        }
    }

    /// The predicted effect of a post of `features` on `platform` at UTC hour of the week `slot`,
    /// about `topic` (lower case), `trending` when it is about a trending topic in its surge.
    public func predict(features: PostFeatures, platform: String, slot: Int, topic: String?, trending: Bool) -> Prediction {
        var effect = hourEffects[slot]
        var variance = hourErrors[slot] * hourErrors[slot]
        var parts: [(String, Double)] = [("hour", exp(hourEffects[slot]))]
        func add(_ uplift: Uplift?) {
            guard let uplift else { return }
            effect += uplift.effect
            variance += uplift.standardError * uplift.standardError
            parts.append((uplift.name, uplift.uplift))
        }
        for (name, feature) in PostFeatures.named where features.contains(feature) {
            add(self.uplift(of: name, platform: platform))
        }
        if let topic {
            add(self.uplift(of: "topic", topic: topic, platform: nil))
            if trending { add(self.uplift(of: "trending", topic: topic, platform: nil)) }
        }
        return Prediction(effect: effect, standardError: variance.squareRoot(), parts: parts)
    }
}

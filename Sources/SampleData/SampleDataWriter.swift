public import Foundation
internal import ProfileStore

/// Writes generated creators as the JSON Lines files `onering import` reads:
/// `users.jsonl` (with an extra `niches` field, the generator's labels, main niche
/// first, which the import ignores) and `posts.jsonl`.
public enum SampleDataWriter {
    private struct LabelledUser: Encodable {
        var id: Int64
        var handle: String
        var name: String
        var bio: String
        var niches: [String]
    }

    /// Writes `creators` to `users` and `posts`, replacing them.
    public static func write(_ creators: [CreatorGenerator.Creator], users: URL, posts: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var userLines = Data()
        var postLines = Data()
        for creator in creators {
            let user = creator.user
            userLines += try encoder.encode(LabelledUser(id: user.id, handle: user.handle, name: user.name, bio: user.bio, niches: creator.niches))
            userLines.append(0x0A)
            for post in creator.posts {
                postLines += try encoder.encode(post)
                postLines.append(0x0A)
            }
        }
        try userLines.write(to: users, options: .atomic)
        try postLines.write(to: posts, options: .atomic)
    }

    /// The niche labels of a `users.jsonl` written by `write`, by user id.
    public static func nicheLabels(users: Data) throws -> [Int64: [String]] {
        struct Labels: Decodable {
            var id: Int64
            var niches: [String]
        }
        let decoder = JSONDecoder()
        var labels: [Int64: [String]] = [:]
        for line in users.split(separator: 0x0A) where !line.isEmpty {
            let entry = try decoder.decode(Labels.self, from: line)
            labels[entry.id] = entry.niches
        }
        return labels
    }
}

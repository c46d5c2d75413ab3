internal import Foundation
public import Personalization
internal import ProfileStore

/// What the research step found: the creator's personalization context (brief-aware, with the
/// cohort's trending topics and the exemplars similar creators posted) and the creator's own
/// recent posts, which the review step keeps drafts from repeating.
public struct Research: Codable, Sendable, Equatable {
    /// One of the creator's own recent posts.
    public struct OwnPost: Codable, Sendable, Equatable {
        public var postID: Int64
        public var text: String
    }

    public var context: PersonalizationContext
    public var ownRecentPosts: [OwnPost]

    /// A line for the trace.
    var summary: String {
        let trends = context.trendingTopics.prefix(3).map(\.topic).joined(separator: ", ")
        return "\(context.exemplars.count) exemplars, \(context.similarCreators.count) similar creators, trending: \(trends.isEmpty ? "none" : trends), "
            + "brief from \(context.brief?.source ?? "none"), \(ownRecentPosts.count) own posts"
    }
}

/// The research step: the personalization context for the request and the creator's recent posts.
struct ResearchStep: Sendable {
    static let name = "research"
    /// The creator's recent posts the originality guard compares drafts with.
    static let ownPostLimit = 20

    let engine: PersonalizationEngine
    /// Whether the context may embed the creator first when they have no embedding yet.
    let embedsOnDemand: Bool

    func run(_ request: GenerationRequest) async throws(GenerationError) -> Research {
        var options = PersonalizationEngine.ContextOptions()
        options.brief = request.brief
        options.similarCreators = request.similarCreators
        options.embedsOnDemand = embedsOnDemand
        if let nprobe = request.nprobe { options.mode = .partitioned(nprobe: nprobe) }
        let context: PersonalizationContext
        do { context = try await engine.context(for: request.userID, options: options) } catch {
            let code: GenerationError.Code = error.code == .unknownUser || error.code == .notEmbedded ? .unknownUser : .stepFailed
            throw GenerationError(code, error.message, step: Self.name, cause: error)
        }
        let profile: ProfileStore.ProfileWithPosts?
        do { profile = try await engine.store.profile(userID: request.userID, postLimit: Self.ownPostLimit) } catch {
            throw GenerationError(.store, error.message, step: Self.name)
        }
        return Research(context: context, ownRecentPosts: (profile?.posts ?? []).map { .init(postID: $0.id, text: $0.text) })
    }
}

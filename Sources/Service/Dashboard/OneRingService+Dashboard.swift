internal import Foundation
internal import Hummingbird
internal import Personalization
internal import Synchronization

extension OneRingService {
    /// `GET /dashboard`: administrators only. A browser signs in once through the form
    /// (`POST /dashboard/session` with the token in the body) and then carries an HttpOnly,
    /// SameSite=Strict session cookie; a token never appears in a URL. Without a session the
    /// page is the sign-in form.
    func addDashboardRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/dashboard/session", .post, in: self.routes) { request, _ in
            let form = try await self.body(of: request)
            guard let token = Self.formValue("token", in: String(buffer: form)), !token.isEmpty else {
                return Self.signInPage(message: "Paste an administrator token.", status: .badRequest)
            }
            let principal: Principal
            do throws(ServiceError) { principal = try await self.authenticator.principal(bearer: token) } catch {
                return Self.signInPage(message: "That token does not sign in: \(error.message)", status: .unauthorized)
            }
            guard principal.may(.admin) else { return Self.signInPage(message: "That token is not an administrator's.", status: .forbidden) }
            let cookie = self.dashboardSessions.open(for: principal, secure: !ServiceConfiguration.isLoopback(self.configuration.host))
            return Response(status: .seeOther, headers: [.location: "/dashboard", .setCookie: cookie, .cacheControl: "no-store"])
        }

        router.on("/dashboard/signout", .post, in: self.routes) { request, _ in
            self.dashboardSessions.close(request)
            return Response(status: .seeOther, headers: [.location: "/dashboard", .setCookie: DashboardSessions.expiredCookie])
        }

        router.on("/dashboard", .get, in: self.routes) { request, _ in
            guard let principal = self.configuration.auth.disabled ? .anyone : self.dashboardSessions.principal(of: request) else {
                return Self.signInPage(message: nil, status: .ok)
            }
            guard principal.may(.admin) else { throw ServiceError(.forbidden, .forbidden, "the dashboard is for administrators") }
            let status = self.engine.status
            let run = self.engine.activeRun
            async let jobs = self.store.jobs(limit: 10)
            async let traces = self.store.generationTraces(limit: 15)
            async let stats = self.store.generationStats()
            let page = DashboardPage(
                figures: .init(
                    creators: status.creators, runID: status.cohortRunID,
                    lagSeconds: status.lastSync.map { max(0, Date().timeIntervalSince($0)) },
                    uptimeSeconds: Date().timeIntervalSince(self.startedAt), coalesced: self.engine.coalescedSearches),
                cohorts: run?.cohorts ?? [], mapSVG: await self.cohortMapSVG(runID: run?.record.id),
                jobs: (try? await jobs) ?? [], traces: (try? await traces) ?? [], stats: try? await stats,
                rates: self.metrics.requestRates()
            )
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: page.html())))
        }
    }

    /// The sign-in form: the token goes in a POST body, never in the URL.
    static func signInPage(message: String?, status: HTTPResponse.Status) -> Response {
        let note = message.map { "<p class=\"error\">\(DashboardPage.escape($0))</p>" } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>OneRing engine: sign in</title>
            <style>body { font: 14px/1.45 system-ui, sans-serif; margin: 48px auto; max-width: 520px; color: #1d2330; }
            input[type=password] { width: 100%; padding: 8px; margin: 8px 0; } .error { color: #b3261e; }</style></head>
            <body><h1>OneRing engine</h1>\(note)
            <form method="post" action="/dashboard/session" autocomplete="off">
            <label for="token">Administrator token</label>
            <input type="password" id="token" name="token" required>
            <button type="submit">Sign in</button></form></body></html>
            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// The cohort map of run `runID`, drawn once per run.
    private func cohortMapSVG(runID: Int64?) async -> String? {
        guard let runID else { return nil }
        if let cached = mapCache.withLock({ $0?.runID == runID ? $0?.svg : nil }) { return cached }
        guard let map = try? await CohortMap.build(store: store, parameters: .init(sampleSize: 3_000)) else { return nil }
        let svg = map.svg()
        mapCache.withLock { $0 = (runID, svg) }
        return svg
    }
}

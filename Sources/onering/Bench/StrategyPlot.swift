import Foundation
import Personalization
import SampleData

/// An SVG of one niche's week: the planted hour-of-week uplift beside the model's estimate
/// (with its 95 % band), the true top five hours and the recommended ones.
enum StrategyPlot {
    static func svg(niche: String, planted: [Double], strategy: CohortStrategy, trueTop: [Int], recommended: [Int]) -> String {
        let width = 900.0, height = 320.0, left = 50.0, right = 20.0, top = 40.0, bottom = 50.0
        let estimate = strategy.hourEffects.map(exp)
        let lows = zip(strategy.hourEffects, strategy.hourErrors).map { exp($0 - 1.96 * $1) }
        let highs = zip(strategy.hourEffects, strategy.hourErrors).map { exp($0 + 1.96 * $1) }
        let values = planted + lows + highs
        let minimum = (values.min() ?? 0.5) * 0.95, maximum = (values.max() ?? 1.5) * 1.05
        func x(_ slot: Int) -> Double { left + Double(slot) / 167 * (width - left - right) }
        func y(_ value: Double) -> Double { top + (maximum - value) / (maximum - minimum) * (height - top - bottom) }
        func path(_ series: [Double]) -> String {
            series.enumerated().map { "\($0 == 0 ? "M" : "L")\(x($0).fixed(1)),\(y($1).fixed(1))" }.joined(separator: " ")
        }
        let band =
            (0..<168).map { "\($0 == 0 ? "M" : "L")\(x($0).fixed(1)),\(y(highs[$0]).fixed(1))" }.joined(separator: " ")
            + " " + (0..<168).reversed().map { "L\(x($0).fixed(1)),\(y(lows[$0]).fixed(1))" }.joined(separator: " ") + " Z"
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="14">\(niche): engagement by UTC hour of the week against an average hour — planted vs estimated (95 % band)</text>

            """
        for day in 0..<7 {
            let dayX = x(day * 24)
            svg += "<line x1=\"\(dayX.fixed(1))\" y1=\"\(top)\" x2=\"\(dayX.fixed(1))\" y2=\"\(height - bottom)\" stroke=\"#ddd\"/>\n"
            let name = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day]
            svg += "<text x=\"\((dayX + 4).fixed(1))\" y=\"\(height - bottom + 16)\">\(name)</text>\n"
        }
        for tick in stride(from: (minimum * 10).rounded(.up) / 10, through: maximum, by: 0.1) {
            svg += "<line x1=\"\(left)\" y1=\"\(y(tick).fixed(1))\" x2=\"\(width - right)\" y2=\"\(y(tick).fixed(1))\" stroke=\"#f0f0f0\"/>\n"
            svg += "<text x=\"6\" y=\"\((y(tick) + 4).fixed(1))\">\(tick.fixed(1))×</text>\n"
        }
        svg += "<path d=\"\(band)\" fill=\"#1f77b4\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
        svg += "<path d=\"\(path(planted))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
        svg += "<path d=\"\(path(estimate))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n"
        for slot in trueTop {
            svg += "<path d=\"M\(x(slot).fixed(1)),\((y(planted[slot]) - 12).fixed(1)) l-5,-8 l10,0 Z\" fill=\"#d62728\"/>\n"
        }
        for slot in recommended {
            svg += "<circle cx=\"\(x(slot).fixed(1))\" cy=\"\(y(estimate[slot]).fixed(1))\" r=\"4\" fill=\"#1f77b4\"/>\n"
        }
        let legendY = height - 12
        svg += """
            <line x1="\(left)" y1="\(legendY - 4)" x2="\(left + 24)" y2="\(legendY - 4)" stroke="#d62728" stroke-width="2"/>
            <text x="\(left + 30)" y="\(legendY)">planted</text>
            <path d="M\(left + 100),\(legendY - 8) l-5,-8 l10,0 Z" transform="translate(0,8)" fill="#d62728"/>
            <text x="\(left + 110)" y="\(legendY)">true top 5</text>
            <line x1="\(left + 190)" y1="\(legendY - 4)" x2="\(left + 214)" y2="\(legendY - 4)" stroke="#1f77b4" stroke-width="1.5"/>
            <text x="\(left + 220)" y="\(legendY)">estimated (creator baselines removed), band: 95 %</text>
            <circle cx="\(left + 530)" cy="\(legendY - 4)" r="4" fill="#1f77b4"/>
            <text x="\(left + 540)" y="\(legendY)">recommended</text>
            </svg>

            """
        return svg
    }
}

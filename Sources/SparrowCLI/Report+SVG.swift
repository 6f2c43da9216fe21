import Foundation

// SVG plots written by hand (no plotting library): a frame with axes, "nice" ticks, labels,
// a title and a legend; bars, histogram columns and line series with markers.

/// Tick positions at 1/2/5 × 10^k steps covering [low, high] with about `count` ticks.
func niceTicks(low: Double, high: Double, count: Int = 6) -> [Double] {
    var lo = low, hi = high
    if !(hi > lo) { hi = lo + (lo == 0 ? 1 : abs(lo) * 0.1) }
    if lo > 0 && lo < (hi - lo) * 0.3 { lo = 0 }
    let raw = (hi - lo) / Double(max(count - 1, 1))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let first = floor(lo / step) * step
    var ticks: [Double] = []
    var t = first
    while t <= hi + step * 0.999 { ticks.append(t); t += step }
    return ticks
}

/// A tick label without trailing noise: 0.25, 1.5, 2000, 1e-05.
func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v) }
    var s = String(format: "%.4f", v)
    while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
    return s
}

func xmlEscape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// Colour-blind-safe palette (Okabe–Ito).
let plotColors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

struct SVGCanvas {
    var width: Double, height: Double
    var left = 80.0, right = 30.0, top = 50.0, bottom = 60.0
    var body = ""

    init(width: Double = 760, height: Double = 440) {
        self.width = width
        self.height = height
    }

    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }

    mutating func text(_ s: String, x: Double, y: Double, size: Double = 12, anchor: String = "middle",
                       weight: String = "normal", rotate: Bool = false) {
        let transform = rotate ? " transform=\"rotate(-90 \(f(x)) \(f(y)))\"" : ""
        body += "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\"\(transform)>\(xmlEscape(s))</text>\n"
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String = "#000", width: Double = 1, dash: String? = nil) {
        let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        body += "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\"\(d)/>\n"
    }

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, title: String? = nil) {
        let t = title.map { "<title>\(xmlEscape($0))</title>" } ?? ""
        body += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(w, 0)))\" height=\"\(f(max(h, 0)))\" fill=\"\(fill)\" stroke=\"#333\" stroke-width=\"0.5\">\(t)</rect>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], color: String) {
        let p = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
        for (x, y) in points { body += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
    }

    /// Title, axis labels, frame, grid and ticks for x in `xTicks` and y in `yTicks`.
    mutating func frame(title: String, xLabel: String, yLabel: String, xTicks: [Double], yTicks: [Double],
                        x: (Double) -> Double, y: (Double) -> Double) {
        text(title, x: width / 2, y: 28, size: 16, weight: "bold")
        for t in yTicks {
            line(left, y(t), left + plotWidth, y(t), color: "#ddd")
            line(left - 5, y(t), left, y(t))
            text(tickLabel(t), x: left - 8, y: y(t) + 4, size: 11, anchor: "end")
        }
        for t in xTicks {
            line(x(t), top + plotHeight, x(t), top + plotHeight + 5)
            text(tickLabel(t), x: x(t), y: top + plotHeight + 18, size: 11)
        }
        line(left, top, left, top + plotHeight)
        line(left, top + plotHeight, left + plotWidth, top + plotHeight)
        text(xLabel, x: left + plotWidth / 2, y: height - 15, size: 13)
        text(yLabel, x: 18, y: top + plotHeight / 2, size: 13, rotate: true)
    }

    /// A legend box in the top-right (or bottom-right) corner of the plot area.
    mutating func legend(_ entries: [(String, String)], bottom atBottom: Bool = false) {
        guard !entries.isEmpty else { return }
        let w = min(Double(entries.map(\.0.count).max() ?? 0) * 6.8 + 40, plotWidth * 0.6)
        let h = Double(entries.count) * 18 + 10
        let x0 = left + plotWidth - w - 8
        let y0 = atBottom ? top + plotHeight - h - 8 : top + 8
        body += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\"/>\n"
        for (i, (name, color)) in entries.enumerated() {
            let yy = y0 + 14 + Double(i) * 18
            body += "<rect x=\"\(f(x0 + 8))\" y=\"\(f(yy - 9))\" width=\"14\" height=\"10\" fill=\"\(color)\"/>\n"
            text(name, x: x0 + 28, y: yy, size: 11, anchor: "start")
        }
    }

    var document: String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

enum Plots {
    /// Histogram of per-inference latency from the record's bins.
    static func latencyHistogram(run: String, lowerMs: Double, binWidthMs: Double, counts: [Double], p50: Double, p99: Double) -> String {
        var c = SVGCanvas()
        let xHigh = lowerMs + binWidthMs * Double(counts.count)
        let xTicks = niceTicks(low: lowerMs, high: xHigh)
        let yTicks = niceTicks(low: 0, high: max(counts.max() ?? 1, 1))
        let x0 = xTicks.first!, x1 = max(xTicks.last!, xHigh), y1 = yTicks.last!
        let (gl, gt, gw, gh) = (c.left, c.top, c.plotWidth, c.plotHeight)  // closures must not capture the mutating canvas
        let px = { (v: Double) in gl + (v - x0) / (x1 - x0) * gw }
        let py = { (v: Double) in gt + gh - v / y1 * gh }
        c.frame(title: "Latency per inference — \(run)", xLabel: "latency (ms)", yLabel: "inferences",
                xTicks: xTicks.filter { $0 <= x1 }, yTicks: yTicks, x: px, y: py)
        for (i, n) in counts.enumerated() {
            let a = lowerMs + binWidthMs * Double(i)
            c.rect(x: px(a), y: py(n), w: px(a + binWidthMs) - px(a), h: py(0) - py(n), fill: plotColors[0],
                   title: String(format: "%.4f–%.4f ms: %.0f", a, a + binWidthMs, n))
        }
        c.line(px(p50), c.top, px(p50), c.top + c.plotHeight, color: plotColors[1], width: 2, dash: "6 3")
        c.line(px(p99), c.top, px(p99), c.top + c.plotHeight, color: plotColors[3], width: 2, dash: "2 2")
        c.legend([("inferences per bin", plotColors[0]), (String(format: "p50 %.4f ms", p50), plotColors[1]),
                  (String(format: "p99 %.4f ms", p99), plotColors[3])])
        return c.document
    }

    /// The same on a log time axis, from the record's `logHistogram` (geometric bins from the
    /// fastest to the slowest inference): a single slow outlier no longer squeezes the rest into
    /// one bar. Ticks at 1, 2 and 5 times powers of ten.
    static func latencyHistogramLog(run: String, lowerMs: Double, upperMs: Double, counts: [Double], p50: Double, p99: Double) -> String {
        var c = SVGCanvas()
        // Bin edges lowerMs·ratio^(i/n); half a bin of margin each side (±10 % if all took the same time).
        let ratio = upperMs > lowerMs && lowerMs > 0 ? upperMs / lowerMs : 1
        let margin = ratio > 1 ? pow(ratio, 0.5 / Double(max(counts.count, 1))) : 1.1
        let low = max(lowerMs, 1e-9) / margin, high = max(upperMs, 1e-9) * margin
        let (l0, l1) = (log10(low), log10(high))
        var xTicks: [Double] = []
        for decade in Int(floor(l0))...Int(ceil(l1)) {
            for m in [1.0, 2.0, 5.0] {
                let t = m * pow(10, Double(decade))
                if t >= low && t <= high { xTicks.append(t) }
            }
        }
        let yTicks = niceTicks(low: 0, high: max(counts.max() ?? 1, 1))
        let y1 = yTicks.last!
        let (gl, gt, gw, gh) = (c.left, c.top, c.plotWidth, c.plotHeight)  // closures must not capture the mutating canvas
        let px = { (v: Double) in gl + (log10(max(v, 1e-12)) - l0) / (l1 - l0) * gw }
        let py = { (v: Double) in gt + gh - v / y1 * gh }
        c.frame(title: "Latency per inference — \(run)", xLabel: "latency (ms), log scale", yLabel: "inferences",
                xTicks: xTicks, yTicks: yTicks, x: px, y: py)
        let n = Double(max(counts.count, 1))
        for (i, count) in counts.enumerated() {
            let a = lowerMs * pow(ratio, Double(i) / n), b = lowerMs * pow(ratio, Double(i + 1) / n)
            let right = b > a ? px(b) : px(a) + 4
            c.rect(x: px(a), y: py(count), w: max(right - px(a), 1), h: py(0) - py(count), fill: plotColors[0],
                   title: String(format: "%.4f–%.4f ms: %.0f", a, b, count))
        }
        c.line(px(p50), c.top, px(p50), c.top + c.plotHeight, color: plotColors[1], width: 2, dash: "6 3")
        c.line(px(p99), c.top, px(p99), c.top + c.plotHeight, color: plotColors[3], width: 2, dash: "2 2")
        c.legend([("inferences per bin", plotColors[0]), (String(format: "p50 %.4f ms", p50), plotColors[1]),
                  (String(format: "p99 %.4f ms", p99), plotColors[3])])
        return c.document
    }

    /// Horizontal bars: each operator's total time in the profile pass, largest first.
    static func operatorBreakdown(run: String, operators: [(label: String, ms: Double, share: Double)]) -> String {
        let shown = Array(operators.sorted { $0.ms > $1.ms }.prefix(24))
        let barHeight = 20.0
        var c = SVGCanvas(width: 860, height: Double(shown.count) * (barHeight + 6) + 120)
        c.left = 250
        c.right = 90
        let xTicks = niceTicks(low: 0, high: max(shown.first?.ms ?? 1, 1e-6))
        let x1 = xTicks.last!
        let (gl, gw) = (c.left, c.plotWidth)  // closures must not capture the mutating canvas
        let px = { (v: Double) in gl + v / x1 * gw }
        c.frame(title: "Time per operator (profile pass) — \(run)", xLabel: "total time over the labelled set (ms)", yLabel: "",
                xTicks: xTicks, yTicks: [], x: px, y: { _ in 0 })
        for (i, op) in shown.enumerated() {
            let y = c.top + 6 + Double(i) * (barHeight + 6)
            c.rect(x: c.left, y: y, w: px(op.ms) - c.left, h: barHeight, fill: plotColors[i == 0 ? 3 : 0],
                   title: String(format: "%@: %.4f ms (%.1f %%)", op.label, op.ms, op.share * 100))
            c.text(op.label, x: c.left - 8, y: y + 14, size: 11, anchor: "end")
            c.text(String(format: "%.1f %%", op.share * 100), x: px(op.ms) + 6, y: y + 14, size: 11, anchor: "start")
        }
        if operators.count > shown.count {
            c.text("(\(operators.count - shown.count) smaller operators not shown)", x: c.left + c.plotWidth, y: c.height - 35, size: 10, anchor: "end")
        }
        return c.document
    }

    /// The anytime profile: accuracy against the MAC budget per inference, a step curve per run
    /// (the answer only changes at an exit's cost; below the first exit there is none). Points
    /// are labelled with the exit the level admits.
    static func anytimeProfile(series: [(name: String, points: [(macs: Double, accuracy: Double)])]) -> String {
        var c = SVGCanvas()
        let xs = series.flatMap { $0.points.map { $0.macs / 1000 } }
        let ys = series.flatMap { $0.points.map(\.accuracy) }
        let xTicks = niceTicks(low: 0, high: (xs.max() ?? 1) * 1.05)
        let yTicks = niceTicks(low: max((ys.min() ?? 0) - 0.02, 0), high: min((ys.max() ?? 1) + 0.01, 1))
        let x0 = xTicks.first!, x1 = xTicks.last!, y0 = yTicks.first!, y1 = yTicks.last!
        let (gl, gt, gw, gh) = (c.left, c.top, c.plotWidth, c.plotHeight)  // closures must not capture the mutating canvas
        let px = { (v: Double) in gl + (v - x0) / (x1 - x0) * gw }
        let py = { (v: Double) in gt + gh - (v - y0) / (y1 - y0) * gh }
        c.frame(title: "Anytime profile: accuracy vs MAC budget", xLabel: "MAC budget per inference (thousands)",
                yLabel: "top-1 accuracy", xTicks: xTicks, yTicks: yTicks, x: px, y: py)
        var legend: [(String, String)] = []
        for (i, s) in series.enumerated() {
            let color = plotColors[i % plotColors.count]
            let pts = s.points.sorted { $0.macs < $1.macs }
            var steps: [(Double, Double)] = []
            for (k, p) in pts.enumerated() {
                let x = p.macs / 1000, next = k + 1 < pts.count ? pts[k + 1].macs / 1000 : x1
                steps.append((px(x), py(p.accuracy)))
                steps.append((px(next), py(p.accuracy)))
            }
            let path = steps.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            c.body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for (k, p) in pts.enumerated() {
                c.body += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%@\"/>\n", px(p.macs / 1000), py(p.accuracy), color)
                c.text(String(format: "exit %d: %.2f %%", k, p.accuracy * 100), x: px(p.macs / 1000) + 5, y: py(p.accuracy) - 6,
                       size: 9, anchor: "start")
            }
            legend.append((s.name, color))
        }
        c.legend(legend, bottom: true)
        return c.document
    }

    /// Accuracy against a cost (energy or latency) for each run's sweep points.
    static func sweepCurve(title: String, xLabel: String, series: [(name: String, points: [(x: Double, accuracy: Double, level: Double)])]) -> String {
        var c = SVGCanvas()
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.accuracy) }
        let xTicks = niceTicks(low: xs.min() ?? 0, high: xs.max() ?? 1)
        let yTicks = niceTicks(low: max((ys.min() ?? 0) - 0.02, 0), high: min((ys.max() ?? 1) + 0.01, 1))
        let x0 = xTicks.first!, x1 = xTicks.last!, y0 = yTicks.first!, y1 = yTicks.last!
        let (gl, gt, gw, gh) = (c.left, c.top, c.plotWidth, c.plotHeight)  // closures must not capture the mutating canvas
        let px = { (v: Double) in gl + (v - x0) / (x1 - x0) * gw }
        let py = { (v: Double) in gt + gh - (v - y0) / (y1 - y0) * gh }
        c.frame(title: title, xLabel: xLabel, yLabel: "top-1 accuracy", xTicks: xTicks, yTicks: yTicks, x: px, y: py)
        var legend: [(String, String)] = []
        for (i, s) in series.enumerated() {
            let color = plotColors[i % plotColors.count]
            let pts = s.points.sorted { $0.x < $1.x }
            c.polyline(pts.map { (px($0.x), py($0.accuracy)) }, color: color)
            for p in pts { c.text(String(format: "%.2f", p.level), x: px(p.x) + 5, y: py(p.accuracy) - 6, size: 9, anchor: "start") }
            legend.append((s.name, color))
        }
        c.legend(legend + [("labels: exit threshold level", "#ffffff")], bottom: true)
        return c.document
    }
}

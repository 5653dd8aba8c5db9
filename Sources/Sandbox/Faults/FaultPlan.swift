import Foundation

/// A misbehaviour the sandbox can inject into an API response.
public enum Fault: Sendable, Equatable, Hashable {
    /// 429 with HighLevel's body, regardless of the real budget.
    case tooManyRequests
    /// 500, 502 or 503 with an error body.
    case serverError(Int)
    /// The normal answer, after a delay (milliseconds).
    case slow(milliseconds: Int)
    /// Headers promise the whole body, then the connection closes halfway through it.
    case cutBody
    /// 200 with a body that is not valid JSON.
    case malformedJSON

    /// The text form used on the command line: `429`, `500`, `502`, `503`, `slow=MS`, `cut`, `malformed`.
    public var name: String {
        switch self {
        case .tooManyRequests: "429"
        case .serverError(let code): String(code)
        case .slow(let ms): "slow=\(ms)"
        case .cutBody: "cut"
        case .malformedJSON: "malformed"
        }
    }

    public init?(name: String) {
        switch name {
        case "429": self = .tooManyRequests
        case "500", "502", "503": self = .serverError(Int(name) ?? 500)
        case "cut": self = .cutBody
        case "malformed": self = .malformedJSON
        case "slow": self = .slow(milliseconds: 1_500)
        default:
            guard name.hasPrefix("slow="), let ms = Int(name.dropFirst(5)), ms >= 0 else { return nil }
            self = .slow(milliseconds: ms)
        }
    }
}

/// When faults happen: never, by probability from a seed, or on a fixed schedule of request numbers.
/// Only HighLevel API and OAuth requests count; the admin path is never disturbed.
public enum FaultPlan: Sendable, Equatable {
    case none
    /// Each request draws once; the faults' probabilities add up to at most 1.
    case random([(fault: Fault, probability: Double)], seed: UInt64)
    /// Request number (1-based, API requests only) → fault.
    case schedule([Int: Fault])

    public static func == (a: FaultPlan, b: FaultPlan) -> Bool {
        switch (a, b) {
        case (.none, .none): true
        case (.schedule(let x), .schedule(let y)): x == y
        case (.random(let x, let s), .random(let y, let t)):
            s == t && x.count == y.count && zip(x, y).allSatisfy { $0.fault == $1.fault && $0.probability == $1.probability }
        default: false
        }
    }

    /// Parses the `--faults` forms:
    /// `none`; `429:0.1,500:0.05,cut:0.05,slow=200:0.1[,seed=7]`; `at:3=429,7=cut,9=slow=100`.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "none" || trimmed == "off" {
            self = .none
            return
        }
        if trimmed.hasPrefix("at:") {
            var schedule: [Int: Fault] = [:]
            for item in trimmed.dropFirst(3).split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let index = Int(pair[0]), index > 0, let fault = Fault(name: String(pair[1]))
                else { return nil }
                schedule[index] = fault
            }
            self = .schedule(schedule)
            return
        }
        var entries: [(Fault, Double)] = []
        var seed: UInt64 = 1
        for item in trimmed.split(separator: ",") {
            if item.hasPrefix("seed=") {
                guard let value = UInt64(item.dropFirst(5)) else { return nil }
                seed = value
                continue
            }
            guard let colon = item.lastIndex(of: ":"), let probability = Double(item[item.index(after: colon)...]),
                (0...1).contains(probability), let fault = Fault(name: String(item[..<colon]))
            else { return nil }
            entries.append((fault, probability))
        }
        guard entries.reduce(0, { $0 + $1.1 }) <= 1.000_001 else { return nil }
        self = .random(entries.map { (fault: $0.0, probability: $0.1) }, seed: seed)
    }
}

/// Decides, request by request, which fault (if any) the plan calls for.
public actor FaultInjector {
    public private(set) var plan: FaultPlan
    private var random: SeededRandom
    private var counter = 0
    public private(set) var injected: [Fault: Int] = [:]

    init(plan: FaultPlan) {
        self.plan = plan
        if case .random(_, let seed) = plan { random = SeededRandom(seed: seed) } else { random = SeededRandom(seed: 1) }
    }

    public func setPlan(_ plan: FaultPlan) {
        self.plan = plan
        counter = 0
        injected = [:]
        if case .random(_, let seed) = plan { random = SeededRandom(seed: seed) }
    }

    func next() -> Fault? {
        counter += 1
        let fault: Fault?
        switch plan {
        case .none: fault = nil
        case .schedule(let schedule): fault = schedule[counter]
        case .random(let entries, _):
            var draw = Double.random(in: 0..<1, using: &random)
            fault = entries.first { entry in
                draw -= entry.probability
                return draw < 0
            }?.fault
        }
        if let fault { injected[fault, default: 0] += 1 }
        return fault
    }
}

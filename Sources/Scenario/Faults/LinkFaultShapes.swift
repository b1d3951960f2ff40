/// A link fault that takes only the keys every link fault takes (`client`, `server`, `for`).
protocol PlainLinkFault: LinkFault {
    init(links: LinkSelection)
}

extension PlainLinkFault {
    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: !healable))
    }
}

/// A lasting link fault acting on one direction (`direction`, by default `defaultDirection`) and no other parameter.
protocol DirectedLinkFault: LinkFault {
    var direction: Direction? { get }
    init(links: LinkSelection, direction: Direction)
    /// The direction when the step gives none; nil makes `direction` required.
    static var defaultDirection: Direction? { get }
}

extension DirectedLinkFault {
    static var parameters: [ScenarioKey] { [defaultDirection == nil ? .required("direction", ScenarioKey.direction.value, ScenarioKey.direction.summary) : .direction] }
    static var defaultDirection: Direction? { .both }

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false),
                    direction: try input.direction(m, for: Self.self, default: defaultDirection))
    }
}

/// `proxy: {fault: stall, direction}`: holds the bytes flowing one way; they flow again, in order, after the heal.
struct Stall: DirectedLinkFault {
    static let name = "stall"
    static let summary = "holds the bytes flowing one way; they flow again, in order, after the heal"
    static let defaultDirection: Direction? = nil
    var links: LinkSelection
    var direction: Direction?

    init(links: LinkSelection, direction: Direction) { (self.links, self.direction) = (links, direction) }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.stalled = true }
    }
}

/// `proxy: {fault: blackhole}`: keeps both sockets open and forwards nothing either way: the half-open connection.
struct Blackhole: PlainLinkFault {
    static let name = "blackhole"
    static let summary = "keeps both sockets open and forwards nothing either way (a half-open connection)"
    var links: LinkSelection
    var direction: Direction? { .both }

    func shape(_ shape: inout FlowShape, flow: Direction) { shape.blackhole = true }
}

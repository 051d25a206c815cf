import CustosCLI

/// The `custos` executable: all wiring lives in CustosCLI's composition root.
@main
enum Entry {
    static func main() async {
        await CustosCommand.main()
    }
}

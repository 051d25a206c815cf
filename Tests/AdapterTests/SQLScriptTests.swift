@testable import PostgresAdapters
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsWithLines() throws {
        let statements = try SQLScript.statements(in: "CREATE TABLE a (id int);\n\nINSERT INTO a VALUES (1);\n")
        #expect(statements == [
            .init(line: 1, sql: "CREATE TABLE a (id int)"), .init(line: 3, sql: "INSERT INTO a VALUES (1)"),
        ])
    }

    @Test func semicolonsInsideQuotesCommentsAndDollarQuotesDoNotSplit() throws {
        let script = """
            -- a comment; with a semicolon
            INSERT INTO t VALUES ('a;b', 'it''s; fine', E'back\\\\slash\\'; quote');
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN RAISE EXCEPTION 'no; updates'; END;
            $body$;
            SELECT "odd;name" FROM t;
            SELECT $$x;y$$
            """
        let statements = try SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0].sql.hasSuffix("E'back\\\\slash\\'; quote')"))
        #expect(statements[1].sql.hasSuffix("$body$"))
        #expect(statements[1].line == 3)
        #expect(statements[2].sql == "SELECT \"odd;name\" FROM t")
        #expect(statements[3] == .init(line: 8, sql: "SELECT $$x;y$$"))
    }

    @Test func positionalParametersAreNotDollarQuotes() throws {
        #expect(try SQLScript.statements(in: "SELECT $1; SELECT 2;").map(\.sql) == ["SELECT $1", "SELECT 2"])
    }

    @Test(arguments: [
        ("SELECT 'open;", "quoted text", 1), ("\nSELECT $$ never closed", "dollar-quoted text", 2),
        ("/* open", "block comment", 1),
    ])
    func reportsUnterminatedConstructsWithTheirLine(script: String, what: String, line: Int) {
        #expect(throws: SQLScript.SplitError.unterminated(what: what, line: line)) { try SQLScript.statements(in: script) }
    }

    @Test func trailingCommentsAreNotAStatement() throws {
        #expect(try SQLScript.statements(in: "SELECT 1;\n-- the end\n").count == 1)
    }
}

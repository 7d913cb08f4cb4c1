// Checks Grizzly's PostgreSQL wire protocol with the PostgreSQL JDBC driver (pgjdbc).
//
// Run (Java 11+ single-file source launch, no build step):
//   java -cp /usr/share/java/postgresql.jar tests/jdbc/JdbcSmoke.java URL USER PASSWORD
// URL is a jdbc:postgresql://host:port/grizzly URL of a server that has USER with PASSWORD
// (SCRAM-SHA-256) and an empty database. Prints "FAILED: ..." per failed check and exits 1 if
// any failed; prints "jdbc: all checks passed" otherwise. tests/server_jdbc.rs runs it.

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

public class JdbcSmoke {
    static final List<String> failures = new ArrayList<>();
    static String url;
    static String user;
    static String password;

    static void check(boolean ok, String what) {
        if (!ok) {
            failures.add(what);
            System.out.println("FAILED: " + what);
        }
    }

    static void checkEq(Object got, Object want, String what) {
        check(Objects.equals(got, want), what + ": got " + got + ", want " + want);
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs one group of checks; an exception fails the group and the next one still runs. */
    static void section(String name, Body body) {
        try {
            body.run();
        } catch (Exception e) {
            check(false, name + ": " + describe(e));
        }
    }

    static String describe(Exception e) {
        if (e instanceof SQLException) {
            SQLException s = (SQLException) e;
            return "SQLException [" + s.getSQLState() + "] " + s.getMessage();
        }
        return e.toString();
    }

    static Connection connect(String extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection(url + extra, props);
    }

    /** The SQLSTATE of the SQLException `body` throws, or null if it throws none. */
    static String sqlStateOf(Body body) throws Exception {
        try {
            body.run();
            return null;
        } catch (SQLException e) {
            check(e.getMessage() != null && !e.getMessage().isBlank(), "an empty error message");
            return e.getSQLState();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: JdbcSmoke URL USER PASSWORD");
            System.exit(2);
        }
        url = args[0];
        user = args[1];
        password = args[2];

        try (Connection conn = connect("")) {
            section("simple statements", () -> simpleStatements(conn));
            section("prepared statements", () -> preparedStatements(conn));
            section("result set values", () -> resultSetValues(conn));
            section("result set metadata", () -> resultSetMetaData(conn));
            section("database metadata", () -> databaseMetaData(conn));
            section("errors", () -> errors(conn));
            section("transactions", () -> transactions(conn));
        } catch (SQLException e) {
            check(false, "connect with SCRAM as " + user + ": " + describe(e));
        }
        section("server-side prepared from the first use", JdbcSmoke::prepareThresholdOne);
        section("wrong password", JdbcSmoke::wrongPassword);

        if (!failures.isEmpty()) {
            System.out.println("jdbc: " + failures.size() + " check(s) failed");
            System.exit(1);
        }
        System.out.println("jdbc: all checks passed");
    }

    static void simpleStatements(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 + 1")) {
                check(rs.next(), "SELECT 1 + 1 returns a row");
                checkEq(rs.getInt(1), 2, "SELECT 1 + 1");
                check(!rs.next(), "SELECT 1 + 1 returns one row");
            }
            try (ResultSet rs = st.executeQuery("SELECT version()")) {
                check(rs.next(), "version() returns a row");
                String version = rs.getString(1);
                check(version.startsWith("PostgreSQL 16.0 (Grizzly"), "version() = " + version);
            }
            DatabaseMetaData md = conn.getMetaData();
            checkEq(md.getDatabaseProductName(), "PostgreSQL", "product name");
            check(md.getDatabaseMajorVersion() >= 16, "major version " + md.getDatabaseMajorVersion());
            st.execute("CREATE TABLE items (id INTEGER, big BIGINT, price DECIMAL(10,2), "
                    + "ratio DOUBLE, name VARCHAR, added DATE, ok BOOLEAN)");
            int n = st.executeUpdate("INSERT INTO items VALUES "
                    + "(1, 9000000000, 12.34, 0.5, 'apple', DATE '2024-01-02', true)");
            checkEq(n, 1, "update count of a plain INSERT");
        }
    }

    static void preparedStatements(Connection conn) throws SQLException {
        String insert = "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement ps = conn.prepareStatement(insert)) {
            ps.setInt(1, 2);
            ps.setLong(2, -5L);
            ps.setBigDecimal(3, new BigDecimal("-0.05"));
            ps.setDouble(4, -1.25e10);
            ps.setString(5, "pear, 'quoted'");
            ps.setDate(6, Date.valueOf("1999-12-31"));
            ps.setBoolean(7, false);
            checkEq(ps.executeUpdate(), 1, "prepared INSERT update count");

            ps.setInt(1, 3);
            ps.setNull(2, Types.BIGINT);
            ps.setNull(3, Types.NUMERIC);
            ps.setNull(4, Types.DOUBLE);
            ps.setNull(5, Types.VARCHAR);
            ps.setNull(6, Types.DATE);
            ps.setNull(7, Types.BOOLEAN);
            checkEq(ps.executeUpdate(), 1, "prepared INSERT of NULLs update count");
        }

        // pgjdbc switches to a named server-side statement (and binary results) after
        // prepareThreshold (5) executions: run it past that with new parameters each time.
        String[] names = {"apple", "pear, 'quoted'", null};
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT name, id + ? FROM items WHERE id = ? AND name IS NOT DISTINCT FROM ?")) {
            for (int i = 0; i < 8; i++) {
                int id = i % 3 + 1;
                ps.setInt(1, i);
                ps.setInt(2, id);
                ps.setString(3, names[id - 1]);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "prepared run " + i + " returns a row");
                    checkEq(rs.getString(1), names[id - 1], "prepared run " + i + " name");
                    checkEq(rs.getInt(2), id + i, "prepared run " + i + " id + ?");
                    check(!rs.next(), "prepared run " + i + " returns one row");
                }
            }
        }
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT count(*) FROM items WHERE price > ? AND added < ?")) {
            for (int i = 0; i < 6; i++) {
                ps.setBigDecimal(1, new BigDecimal("0"));
                ps.setDate(2, Date.valueOf("2030-01-01"));
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "decimal and date parameters return a row");
                    checkEq(rs.getLong(1), 1L, "decimal and date parameters, run " + i);
                }
            }
        }
    }

    static void resultSetValues(Connection conn) throws SQLException {
        String sql = "SELECT id, big, price, ratio, name, added, ok FROM items WHERE id >= ? ORDER BY id";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            // The first runs get text results, the later ones (server-side prepared) binary.
            for (int run = 0; run < 7; run++) {
                ps.setInt(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    String at = " (run " + run + ")";
                    check(rs.next(), "row 1" + at);
                    checkEq(rs.getInt("id"), 1, "int4" + at);
                    checkEq(rs.getLong("big"), 9000000000L, "int8" + at);
                    checkEq(rs.getBigDecimal("price"), new BigDecimal("12.34"), "numeric" + at);
                    checkEq(rs.getDouble("ratio"), 0.5, "float8" + at);
                    checkEq(rs.getString("name"), "apple", "varchar" + at);
                    checkEq(rs.getDate("added"), Date.valueOf("2024-01-02"), "date" + at);
                    checkEq(rs.getBoolean("ok"), true, "bool" + at);
                    checkEq(rs.getObject("id"), 1, "int4 as object" + at);
                    checkEq(rs.getObject("big"), 9000000000L, "int8 as object" + at);
                    checkEq(rs.getObject("ok"), Boolean.TRUE, "bool as object" + at);

                    check(rs.next(), "row 2" + at);
                    checkEq(rs.getBigDecimal("price"), new BigDecimal("-0.05"), "negative numeric" + at);
                    checkEq(rs.getDouble("ratio"), -1.25e10, "negative float8" + at);
                    checkEq(rs.getString("name"), "pear, 'quoted'", "quoted varchar" + at);
                    checkEq(rs.getDate("added"), Date.valueOf("1999-12-31"), "date 1999" + at);
                    checkEq(rs.getBoolean("ok"), false, "bool false" + at);

                    check(rs.next(), "row 3" + at);
                    checkEq(rs.getInt("id"), 3, "row 3 id" + at);
                    for (String col : new String[] {"big", "price", "ratio", "name", "added", "ok"}) {
                        checkEq(rs.getObject(col), null, "NULL " + col + at);
                        check(rs.wasNull(), "wasNull after NULL " + col + at);
                    }
                    checkEq(rs.getLong("big"), 0L, "NULL int8 as long is 0" + at);
                    check(!rs.next(), "three rows" + at);
                }
            }
        }
    }

    static void resultSetMetaData(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT id, big, price, ratio, name, added, ok FROM items")) {
            ResultSetMetaData md = rs.getMetaData();
            checkEq(md.getColumnCount(), 7, "column count");
            List<String> names = new ArrayList<>();
            List<Integer> types = new ArrayList<>();
            List<String> typeNames = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                names.add(md.getColumnName(i));
                types.add(md.getColumnType(i));
                typeNames.add(md.getColumnTypeName(i));
            }
            checkEq(names, Arrays.asList("id", "big", "price", "ratio", "name", "added", "ok"),
                    "column names");
            checkEq(types, Arrays.asList(Types.INTEGER, Types.BIGINT, Types.NUMERIC, Types.DOUBLE,
                    Types.VARCHAR, Types.DATE, Types.BIT), "java.sql.Types of the columns");
            checkEq(typeNames, Arrays.asList("int4", "int8", "numeric", "float8", "varchar", "date",
                    "bool"), "type names");
            checkEq(md.getPrecision(3), 10, "numeric precision");
            checkEq(md.getScale(3), 2, "numeric scale");
            checkEq(md.getColumnClassName(3), "java.math.BigDecimal", "numeric class");
        }
    }

    static void databaseMetaData(Connection conn) throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + ":"
                        + rs.getString("TABLE_TYPE"));
            }
        }
        checkEq(tables, Arrays.asList("public.items:TABLE"), "getTables(%, TABLE)");
    }

    static void errors(Connection conn) throws Exception {
        try (Statement st = conn.createStatement()) {
            checkEq(sqlStateOf(() -> st.executeQuery("SELECT * FROM missing")), "42P01",
                    "SQLSTATE of an unknown table");
            checkEq(sqlStateOf(() -> st.executeQuery("SELEC 1")), "42601",
                    "SQLSTATE of a syntax error");
            checkEq(sqlStateOf(() -> st.executeQuery("SELECT nope FROM items")), "42703",
                    "SQLSTATE of an unknown column");
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT 10 / ? FROM items WHERE id = 1")) {
            ps.setInt(1, 0);
            checkEq(sqlStateOf(ps::executeQuery), "22012", "SQLSTATE of a division by zero");
        }
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM items")) {
            check(rs.next(), "count after errors returns a row");
            checkEq(rs.getLong(1), 3L, "the connection is usable after errors");
        }
    }

    static long countId(Connection conn, int id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM items WHERE id = ?")) {
            ps.setInt(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static void transactions(Connection conn) throws Exception {
        try (Connection writer = connect("")) {
            writer.setAutoCommit(false);
            try (PreparedStatement ps = writer.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)")) {
                ps.setInt(1, 10);
                ps.setString(2, "uncommitted");
                checkEq(ps.executeUpdate(), 1, "insert in a transaction");
            }
            checkEq(countId(writer, 10), 1L, "the writer sees its own insert");
            checkEq(countId(conn, 10), 0L, "another connection does not see an uncommitted insert");
            writer.commit();
            checkEq(countId(conn, 10), 1L, "the insert is visible once committed");
            try (Statement st = writer.createStatement()) {
                checkEq(st.executeUpdate("DELETE FROM items WHERE id = 10"), 1, "delete count");
            }
            checkEq(countId(writer, 10), 0L, "the writer sees its own delete");
            writer.rollback();
            checkEq(countId(conn, 10), 1L, "a rolled back delete changes nothing");
            checkEq(countId(writer, 10), 1L, "the writer sees the row again after rollback");

            // An error inside a transaction aborts it; rollback makes the connection usable.
            try (Statement st = writer.createStatement()) {
                st.executeUpdate("DELETE FROM items WHERE id = 10");
                checkEq(sqlStateOf(() -> st.executeQuery("SELECT * FROM missing")), "42P01",
                        "SQLSTATE of an error in a transaction");
            }
            writer.rollback();
            writer.setAutoCommit(true);
            checkEq(countId(writer, 10), 1L, "the failed transaction's delete is rolled back");
        }
    }

    static void prepareThresholdOne() throws SQLException {
        try (Connection conn = connect(url.contains("?") ? "&prepareThreshold=1" : "?prepareThreshold=1");
                PreparedStatement ps = conn.prepareStatement(
                        "SELECT ? + 1, ? || '!', price * ?, ? FROM items WHERE id = 1")) {
            for (int i = 0; i < 3; i++) {
                ps.setInt(1, 41 + i);
                ps.setString(2, "hi" + i);
                // Grizzly types a parameter from its context (here: price's DECIMAL(10,2)),
                // not from the type the driver declares for it.
                ps.setBigDecimal(3, new BigDecimal("1.25"));
                ps.setDate(4, Date.valueOf("2000-02-29"));
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "prepareThreshold=1 returns a row");
                    checkEq(rs.getInt(1), 42 + i, "prepareThreshold=1 int parameter");
                    checkEq(rs.getString(2), "hi" + i + "!", "prepareThreshold=1 string parameter");
                    checkEq(rs.getBigDecimal(3).compareTo(new BigDecimal("15.425")), 0,
                            "prepareThreshold=1 numeric parameter: " + rs.getBigDecimal(3));
                    checkEq(rs.getDate(4), Date.valueOf("2000-02-29"), "prepareThreshold=1 date parameter");
                }
            }
        }
    }

    static void wrongPassword() throws Exception {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password + "-wrong");
        props.setProperty("connectTimeout", "5");
        String state = sqlStateOf(() -> DriverManager.getConnection(url, props).close());
        checkEq(state, "28P01", "SQLSTATE of a wrong password");
    }
}

package dev.banger.daemon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * Versioned schema. Append new steps; never edit a released one. Each step runs in its
 * own transaction together with the row recording it, so a crash mid-migration leaves the
 * previous version intact.
 */
final class Migrations {
    static final List<String> STEPS = List.of(
            // 1: VMs and images
            """
            CREATE TABLE vms (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              image_id TEXT,
              state TEXT NOT NULL,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              spec_json TEXT NOT NULL,
              runtime_json TEXT NOT NULL
            );
            CREATE TABLE images (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              rootfs_path TEXT NOT NULL,
              kernel_ref TEXT NOT NULL,
              source TEXT NOT NULL,
              size_bytes INTEGER NOT NULL,
              created_at TEXT NOT NULL
            );
            """,
            // 2: what an image asks to run (OCI config); NULL for plain root filesystems
            """
            ALTER TABLE images ADD COLUMN config_json TEXT;
            """);

    private Migrations() { }

    static void apply(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        }
        int current = currentVersion(conn);
        if (current > STEPS.size()) {
            throw new SQLException("store schema version " + current + " is newer than this banger ("
                    + STEPS.size() + "); upgrade banger");
        }
        for (int v = current + 1; v <= STEPS.size(); v++) {
            boolean auto = conn.getAutoCommit();
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                for (String sql : STEPS.get(v - 1).split(";")) {
                    if (!sql.isBlank()) st.execute(sql);
                }
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")) {
                    ps.setInt(1, v);
                    ps.setString(2, Instant.now().toString());
                    ps.executeUpdate();
                }
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(auto);
            }
        }
    }

    static int currentVersion(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}

package dev.banger.daemon.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.core.Json;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.ImageRunConfig;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * SQLite store (WAL). One connection serialised by a lock: every statement here is a few
 * microseconds, and one writer is what SQLite wants anyway. VM spec and runtime are JSON
 * columns so new runtime fields need no migration.
 */
public final class Store implements AutoCloseable {
    private final Connection conn;
    private final ReentrantLock lock = new ReentrantLock();

    public Store(Path dbFile) throws StoreException {
        try {
            conn = DriverManager.getConnection("jdbc:sqlite:" + dbFile);
            try (Statement st = conn.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=5000");
                st.execute("PRAGMA foreign_keys=ON");
            }
            Migrations.apply(conn);
        } catch (SQLException e) {
            throw new StoreException("open store " + dbFile + ": " + e.getMessage(), e);
        }
    }

    public int schemaVersion() {
        return locked(() -> Migrations.currentVersion(conn));
    }

    // ---- VMs ----

    public void upsertVm(VmRecord vm) {
        locked(() -> {
            try (PreparedStatement ps = conn.prepareStatement("""
                    INSERT INTO vms(id, name, image_id, state, created_at, updated_at, spec_json, runtime_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name=excluded.name, image_id=excluded.image_id,
                      state=excluded.state, updated_at=excluded.updated_at, spec_json=excluded.spec_json,
                      runtime_json=excluded.runtime_json""")) {
                ps.setString(1, vm.id());
                ps.setString(2, vm.name());
                ps.setString(3, vm.imageId());
                ps.setString(4, vm.state().wire());
                ps.setString(5, vm.createdAt().toString());
                ps.setString(6, vm.updatedAt().toString());
                ps.setString(7, toJson(vm.spec()));
                ps.setString(8, toJson(vm.runtime()));
                ps.executeUpdate();
                return null;
            }
        });
    }

    public Optional<VmRecord> vmById(String id) {
        return locked(() -> queryVms("SELECT * FROM vms WHERE id = ?", id).stream().findFirst());
    }

    /** Exact name match only: a prefix of some other VM's id must not count as taken (seed 000). */
    public Optional<VmRecord> vmByName(String name) {
        return locked(() -> queryVms("SELECT * FROM vms WHERE name = ?", name).stream().findFirst());
    }

    public List<VmRecord> vmsByIdPrefix(String prefix) {
        String escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        return locked(() -> queryVms("SELECT * FROM vms WHERE id LIKE ? ESCAPE '\\'", escaped + "%"));
    }

    public List<VmRecord> listVms() {
        return locked(() -> queryVms("SELECT * FROM vms ORDER BY created_at, name"));
    }

    public boolean deleteVm(String id) {
        return locked(() -> {
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM vms WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    public Set<String> usedGuestIps() {
        return locked(() -> {
            Set<String> ips = new HashSet<>();
            for (VmRecord vm : queryVms("SELECT * FROM vms")) {
                if (vm.runtime() != null && vm.runtime().guestIp() != null) ips.add(vm.runtime().guestIp());
            }
            return ips;
        });
    }

    private List<VmRecord> queryVms(String sql, String... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
            try (ResultSet rs = ps.executeQuery()) {
                List<VmRecord> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new VmRecord(rs.getString("id"), rs.getString("name"), rs.getString("image_id"),
                            VmState.fromWire(rs.getString("state")), Instant.parse(rs.getString("created_at")),
                            Instant.parse(rs.getString("updated_at")),
                            fromJson(rs.getString("spec_json"), VmSpec.class),
                            fromJson(rs.getString("runtime_json"), VmRuntime.class)));
                }
                return out;
            }
        }
    }

    // ---- images ----

    public void insertImage(ImageRecord image) {
        locked(() -> {
            try (PreparedStatement ps = conn.prepareStatement("""
                    INSERT INTO images(id, name, rootfs_path, kernel_ref, source, size_bytes, created_at, config_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
                ps.setString(1, image.id());
                ps.setString(2, image.name());
                ps.setString(3, image.rootfsPath());
                ps.setString(4, image.kernelRef());
                ps.setString(5, image.source());
                ps.setLong(6, image.sizeBytes());
                ps.setString(7, image.createdAt().toString());
                ps.setString(8, toJson(image.config()));
                ps.executeUpdate();
                return null;
            }
        });
    }

    public Optional<ImageRecord> imageByName(String name) {
        return locked(() -> queryImages("SELECT * FROM images WHERE name = ?", name).stream().findFirst());
    }

    public Optional<ImageRecord> imageById(String id) {
        return locked(() -> queryImages("SELECT * FROM images WHERE id = ?", id).stream().findFirst());
    }

    public List<ImageRecord> listImages() {
        return locked(() -> queryImages("SELECT * FROM images ORDER BY name"));
    }

    public boolean deleteImage(String id) {
        return locked(() -> {
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM images WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    private List<ImageRecord> queryImages(String sql, String... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
            try (ResultSet rs = ps.executeQuery()) {
                List<ImageRecord> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new ImageRecord(rs.getString("id"), rs.getString("name"), rs.getString("rootfs_path"),
                            rs.getString("kernel_ref"), rs.getString("source"), rs.getLong("size_bytes"),
                            Instant.parse(rs.getString("created_at")), imageConfig(rs.getString("config_json"))));
                }
                return out;
            }
        }
    }

    // ---- plumbing ----

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private <T> T locked(SqlWork<T> work) {
        lock.lock();
        try {
            return work.run();
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static ImageRunConfig imageConfig(String json) {
        return json == null ? ImageRunConfig.NONE : fromJson(json, ImageRunConfig.class);
    }

    private static String toJson(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new StoreException("encode " + value.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static <T> T fromJson(String json, Class<T> type) {
        try {
            return json == null ? null : Json.MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("decode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            conn.close();
        } catch (SQLException ignored) {
            // closing at shutdown; WAL is already durable
        } finally {
            lock.unlock();
        }
    }
}

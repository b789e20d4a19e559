package dev.phasegate.argocd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.DebugLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.jse.JseOsLib;

/**
 * Runs deploy/argocd's Lua scripts the way Argo CD runs a script from argocd-cm: the global {@code obj} is the live
 * object, only the package, base and table libraries and an os table with just {@code time} and {@code date} are
 * open (argo-cd util/lua/lua.go runLua with UseOpenLibs false, util/lua/oslib_safe.go), and the script has one
 * second. Numbers reach the script as plain Lua numbers, as Argo CD's decodeValue gives them.
 */
public final class ArgoCdLua {
    static final Path HOME = Path.of("deploy", "argocd");
    private static final long BUDGET_MS = 1000;

    private ArgoCdLua() {
    }

    /**
     * The sandbox: what a script pasted into argocd-cm can reach, and nothing more. As in Argo CD's runLua, the safe
     * os functions (time, date) are registered under the name of the table library (OpenSafeOs calls
     * RegisterModule(TabLibName, ...)), so the global os is nil and only require("os") gives them; the global
     * actionParams is an empty table when no parameters are passed.
     */
    public static Globals sandbox() {
        // LuaJ keeps the string metatable in a static: make sure no earlier StringLib left methods on strings.
        LuaString.s_metatable = null;
        Globals g = new Globals();
        g.load(new BaseLib());
        g.load(new PackageLib());
        g.load(new TableLib());
        Globals scratch = new Globals();
        scratch.load(new PackageLib());
        scratch.load(new JseOsLib());
        LuaValue time = scratch.get("os").get("time");
        LuaValue date = scratch.get("os").get("date");
        g.get("table").set("time", time);
        g.get("table").set("date", date);
        g.get("package").get("preload").set("os", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable os = new LuaTable();
                os.set("time", time);
                os.set("date", date);
                return os;
            }
        });
        g.set("actionParams", new LuaTable());
        LoadState.install(g);
        LuaC.install(g);
        return g;
    }

    /**
     * Argo CD cancels a script after one second (a context deadline gopher-lua checks while it runs). LuaJ has no
     * such check, so a count hook ends the script at the deadline; the debug library that sets the hook is then
     * taken out of the script's reach again.
     */
    private static void limitTime(Globals g, long deadlineNanos) {
        g.load(new DebugLib());
        g.get("debug").get("sethook").call(new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                if (System.nanoTime() > deadlineNanos) {
                    throw new LuaError("ran longer than Argo CD's 1 s budget");
                }
                return NONE;
            }
        }, LuaValue.valueOf(""), LuaValue.valueOf(1000));
        g.set("debug", LuaValue.NIL);
        g.get("package").get("loaded").set("debug", LuaValue.NIL);
    }

    static String script(String relative) {
        try {
            return Files.readString(HOME.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the script on the object and returns what it returned, as Java maps, lists, strings, numbers. */
    public static Object run(String relative, Map<String, Object> object) {
        return run(relative, script(relative), object);
    }

    /** Runs Lua source given inline, for tests of the sandbox itself. */
    static Object runSource(String source, Map<String, Object> object) {
        return run("inline.lua", source, object);
    }

    private static Object run(String relative, String source, Map<String, Object> object) {
        ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lua-" + relative);
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Object> result = runner.submit(() -> {
                Globals g = sandbox();
                limitTime(g, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MS));
                g.set("obj", toLua(object));
                LuaValue returned = g.load(source, relative).call();
                return fromLua(returned, object);
            });
            return result.get(BUDGET_MS * 10, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(relative + " ran longer than Argo CD's 1 s budget");
        } catch (ExecutionException e) {
            throw new AssertionError(relative + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            runner.shutdownNow();
        }
    }

    @SuppressWarnings("unchecked")
    static LuaValue toLua(Object v) {
        if (v == null) {
            return LuaValue.NIL;
        }
        if (v instanceof Map<?, ?> m) {
            LuaTable t = new LuaTable();
            m.forEach((k, val) -> t.set(String.valueOf(k), toLua(val)));
            return t;
        }
        if (v instanceof List<?> l) {
            LuaTable t = new LuaTable();
            for (int i = 0; i < l.size(); i++) {
                t.set(i + 1, toLua(l.get(i)));
            }
            return t;
        }
        if (v instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        if (v instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue()); // Argo CD: every number is a float64 LNumber
        }
        return LuaValue.valueOf(String.valueOf(v));
    }

    /**
     * Back to Java. An empty table becomes what the original had at that place (Argo CD's cleanReturnedObj turns
     * the empty array gopher-json writes back into the map it was), else an empty list.
     */
    static Object fromLua(LuaValue v, Object original) {
        if (v.isnil()) {
            return null;
        }
        if (v.isboolean()) {
            return v.toboolean();
        }
        if (v.type() == LuaValue.TNUMBER) {
            double d = v.todouble();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
        }
        if (v.isstring()) {
            return v.tojstring();
        }
        if (v.istable()) {
            LuaTable t = (LuaTable) v;
            int n = t.length();
            List<LuaValue> keys = new ArrayList<>();
            for (LuaValue k = t.next(LuaValue.NIL).arg1(); !k.isnil(); k = t.next(k).arg1()) {
                keys.add(k);
            }
            if (keys.isEmpty()) {
                return original instanceof Map<?, ?> ? new LinkedHashMap<>() : new ArrayList<>();
            }
            if (n == keys.size()) {
                List<Object> list = new ArrayList<>();
                List<?> before = original instanceof List<?> l ? l : List.of();
                for (int i = 1; i <= n; i++) {
                    list.add(fromLua(t.get(i), i - 1 < before.size() ? before.get(i - 1) : null));
                }
                return list;
            }
            Map<String, Object> map = new LinkedHashMap<>();
            Map<?, ?> before = original instanceof Map<?, ?> m ? m : Map.of();
            for (LuaValue k : keys) {
                map.put(k.tojstring(), fromLua(t.get(k), before.get(k.tojstring())));
            }
            return map;
        }
        throw new AssertionError("a script returned a " + v.typename() + ", which Argo CD cannot encode");
    }
}

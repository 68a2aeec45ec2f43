// addon.cc: the host Node addon (node-addon-api). Exposes CPU identification,
// the SMC suite with structured results, the SMC emitter's AUTO choice, and
// the JIT core's code allocator (statistics). Typed wrappers: src/addon/.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "smc/smc.h"
#include "smc/smc_emit.h"
#ifdef MATRIX_HAVE_JIT_CORE
#include "jit/execmem.h"
#include "jit/icache.h"
#endif
#ifdef MATRIX_HAVE_COPYJIT
#include "copyjit.h"
#endif

namespace {

Napi::Value NumOrNull(Napi::Env env, bool ok, double v)
{
    return ok ? Napi::Value(Napi::Number::New(env, v)) : env.Null();
}

Napi::Value StrOrNull(Napi::Env env, const char *s)
{
    return s && s[0] ? Napi::Value(Napi::String::New(env, s)) : env.Null();
}

Napi::Object CpuToJs(Napi::Env env, const smc_cpu_info &c)
{
    Napi::Object o = Napi::Object::New(env);
    char sig[96] = "";
    smc_cpu_signature(&c, sig, sizeof sig);
    o.Set("arch", c.arch);
    o.Set("vendor", c.vendor);
    o.Set("brand", c.brand);
    o.Set("family", c.family);
    o.Set("model", c.model);
    o.Set("stepping", c.stepping);
    o.Set("signature", sig);
    o.Set("microarchitecture", c.uarch);
    o.Set("hypervisor", Napi::Boolean::New(env, c.hypervisor != 0));
    o.Set("hypervisorVendor", c.hypervisor_vendor);
    o.Set("tscHz", NumOrNull(env, c.tsc_hz > 0, c.tsc_hz));
    o.Set("tscSource", c.tsc_source);
    Napi::Array feats = Napi::Array::New(env);
    uint32_t n = 0;
    for (uint32_t bit = 1; bit; bit <<= 1)
        if ((c.features & bit) && smc_feature_name(bit))
            feats.Set(n++, smc_feature_name(bit));
    o.Set("features", feats);
    return o;
}

Napi::Object ReportToJs(Napi::Env env, const smc_report &r)
{
    Napi::Object o = Napi::Object::New(env);
    o.Set("schema", "matrix-smc/1");
    o.Set("arch", r.cpu.arch);
    o.Set("cpu", CpuToJs(env, r.cpu));
    o.Set("timer", r.timer);
    o.Set("timingsMeaningful", Napi::Boolean::New(env, r.timings_meaningful != 0));
    o.Set("note", r.note ? r.note : "");
    o.Set("flushMethod", r.flush_method ? r.flush_method : "");
    o.Set("quick", Napi::Boolean::New(env, r.quick != 0));
    o.Set("trials", r.trials);
    o.Set("iterations", r.iterations);
    o.Set("warmup", r.warmup);
    o.Set("codeBytes", static_cast<double>(r.code_bytes));
    o.Set("plainTicks", NumOrNull(env, r.plain_ticks > 0, r.plain_ticks));
    o.Set("baselineTicks", NumOrNull(env, r.baseline_ticks > 0, r.baseline_ticks));
    o.Set("best", StrOrNull(env, r.best));
    o.Set("allCorrect", Napi::Boolean::New(env, smc_report_all_correct(&r) != 0));
    Napi::Array list = Napi::Array::New(env, r.count);
    for (size_t i = 0; i < r.count; i++) {
        const smc_result &s = r.results[i];
        bool ok = s.status == SMC_STATUS_OK;
        Napi::Object e = Napi::Object::New(env);
        e.Set("name", s.name);
        e.Set("group", s.group);
        e.Set("description", s.description);
        e.Set("status", smc_status_name(s.status));
        e.Set("skipped", Napi::Boolean::New(env, s.status == SMC_STATUS_SKIPPED));
        e.Set("reason", StrOrNull(env, s.reason));
        e.Set("ticksPerCall", NumOrNull(env, ok, s.ticks_per_call));
        e.Set("ratioToPlain", NumOrNull(env, ok && r.plain_ticks > 0, s.ratio_to_plain));
        e.Set("penaltyOverBaseline", NumOrNull(env, ok && r.baseline_ticks > 0, s.penalty_over_baseline));
        e.Set("calls", static_cast<double>(s.calls));
        e.Set("wrong", static_cast<double>(s.wrong));
        list.Set(static_cast<uint32_t>(i), e);
    }
    o.Set("strategies", list);
    return o;
}

// Options object -> smc_params (owning the `only` strings).
struct RunOptions {
    smc_params params{};
    std::vector<std::string> names;
    std::vector<const char *> ptrs;

    void Parse(Napi::Env env, const Napi::Value &v)
    {
        std::memset(&params, 0, sizeof params);
        if (v.IsUndefined() || v.IsNull())
            return;
        if (!v.IsObject())
            throw Napi::TypeError::New(env, "runSmc: options must be an object");
        Napi::Object o = v.As<Napi::Object>();
        if (o.Get("quick").ToBoolean().Value())
            params.flags |= SMC_RUN_QUICK;
        auto count = [&](const char *key, unsigned *out) {
            Napi::Value x = o.Get(key);
            if (x.IsUndefined())
                return;
            if (!x.IsNumber() || x.As<Napi::Number>().DoubleValue() < 1 ||
                x.As<Napi::Number>().DoubleValue() > 1e7)
                throw Napi::RangeError::New(env, std::string("runSmc: ") + key + " must be 1..1e7");
            *out = x.As<Napi::Number>().Uint32Value();
        };
        count("trials", &params.trials);
        count("iterations", &params.iterations);
        count("warmup", &params.warmup);
        Napi::Value only = o.Get("only");
        if (!only.IsUndefined()) {
            if (!only.IsArray())
                throw Napi::TypeError::New(env, "runSmc: only must be an array of strategy names");
            Napi::Array a = only.As<Napi::Array>();
            for (uint32_t i = 0; i < a.Length(); i++) {
                Napi::Value n = a.Get(i);
                if (!n.IsString())
                    throw Napi::TypeError::New(env, "runSmc: only must be an array of strategy names");
                names.push_back(n.As<Napi::String>().Utf8Value());
            }
            for (auto &n : names)
                ptrs.push_back(n.c_str());
            params.only = ptrs.data();
            params.only_count = ptrs.size();
        }
    }
};

Napi::Value CpuInfo(const Napi::CallbackInfo &info)
{
    smc_cpu_info c;
    smc_cpu_identify(1, &c);
    return CpuToJs(info.Env(), c);
}

Napi::Value Strategies(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    for (size_t i = 0; i < smc_strategy_count(); i++) {
        const char *n, *g, *d;
        smc_strategy_info(i, &n, &g, &d);
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", n);
        o.Set("group", g);
        o.Set("description", d);
        a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
}

Napi::Value RunSmc(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    RunOptions opt;
    opt.Parse(env, info.Length() ? info[0] : env.Undefined());
    auto report = std::make_unique<smc_report>();
    if (smc_run(&opt.params, report.get()) != JIT_OK)
        throw Napi::RangeError::New(env, "runSmc: unknown strategy name in `only`");
    return ReportToJs(env, *report);
}

class SmcWorker : public Napi::AsyncWorker {
public:
    SmcWorker(Napi::Env env, std::unique_ptr<RunOptions> opt)
        : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
          opt_(std::move(opt)), report_(new smc_report())
    {
    }
    Napi::Promise Promise() { return deferred_.Promise(); }

protected:
    void Execute() override
    {
        if (smc_run(&opt_->params, report_.get()) != JIT_OK)
            SetError("runSmcAsync: unknown strategy name in `only`");
    }
    void OnOK() override { deferred_.Resolve(ReportToJs(Env(), *report_)); }
    void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

private:
    Napi::Promise::Deferred deferred_;
    std::unique_ptr<RunOptions> opt_;
    std::unique_ptr<smc_report> report_;
};

Napi::Value RunSmcAsync(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    auto opt = std::make_unique<RunOptions>();
    opt->Parse(env, info.Length() ? info[0] : env.Undefined());
    auto *w = new SmcWorker(env, std::move(opt));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
}

Napi::Value EmitChoice(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    smc_emit_params p{};
    std::string path;
    if (info.Length() && info[0].IsObject()) {
        Napi::Object o = info[0].As<Napi::Object>();
        if (o.Get("cachePath").IsString()) {
            path = o.Get("cachePath").As<Napi::String>().Utf8Value();
            p.cache_path = path.c_str();
        }
        if (o.Get("noTable").ToBoolean().Value())
            p.flags |= SMC_EMIT_NO_TABLE;
        if (o.Get("noCache").ToBoolean().Value())
            p.flags |= SMC_EMIT_NO_CACHE;
        if (o.Get("remeasure").ToBoolean().Value())
            p.flags |= SMC_EMIT_REMEASURE;
    }
    smc_cpu_info c;
    smc_cpu_identify(0, &c);
    smc_emit_strategy s;
    char why[1200] = "";
    if (smc_emit_choose(&c, &p, &s, why, sizeof why) != JIT_OK)
        throw Napi::Error::New(env, "emitChoice: could not choose a strategy");
    Napi::Object o = Napi::Object::New(env);
    o.Set("strategy", smc_emit_strategy_name(s));
    o.Set("reason", why);
    return o;
}

#ifdef MATRIX_HAVE_JIT_CORE
Napi::Object StatsToJs(Napi::Env env, const struct jit_execmem_stats &s)
{
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytesInUse", static_cast<double>(s.bytes_in_use));
    o.Set("bytesFree", static_cast<double>(s.bytes_free));
    o.Set("largestFree", static_cast<double>(s.largest_free));
    o.Set("freeRanges", static_cast<double>(s.free_ranges));
    o.Set("regions", static_cast<double>(s.regions));
    o.Set("allocations", static_cast<double>(s.allocations));
    return o;
}

void ThrowJit(Napi::Env env, const char *what, jit_err e)
{
    Napi::Error err = Napi::Error::New(env, std::string(what) + ": " + jit_err_str(e));
    err.Set("code", Napi::Number::New(env, e));
    throw err;
}

// One allocator per JS object; its statistics are what the report labels.
class ExecMem : public Napi::ObjectWrap<ExecMem> {
public:
    static Napi::Function Init(Napi::Env env)
    {
        return DefineClass(env, "ExecMem",
                           {InstanceMethod("alloc", &ExecMem::Alloc),
                            InstanceMethod("write", &ExecMem::Write),
                            InstanceMethod("free", &ExecMem::Free),
                            InstanceMethod("stats", &ExecMem::Stats),
                            InstanceMethod("close", &ExecMem::Close),
                            InstanceAccessor("mode", &ExecMem::Mode, nullptr)});
    }
    ExecMem(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ExecMem>(info)
    {
        Napi::Env env = info.Env();
        jit_execmem_params p{};
        if (info.Length() && info[0].IsObject()) {
            Napi::Object o = info[0].As<Napi::Object>();
            Napi::Value m = o.Get("mode");
            if (m.IsString()) {
                std::string s = m.As<Napi::String>().Utf8Value();
                if (s == "dual_map")
                    p.mode = JIT_EXECMEM_DUAL_MAP;
                else if (s == "mprotect")
                    p.mode = JIT_EXECMEM_MPROTECT;
                else if (s == "rwx")
                    p.mode = JIT_EXECMEM_RWX;
                else
                    throw Napi::RangeError::New(env, "ExecMem: mode must be dual_map, mprotect or rwx");
            }
            if (o.Get("regionSize").IsNumber())
                p.region_size = static_cast<size_t>(o.Get("regionSize").As<Napi::Number>().DoubleValue());
            if (o.Get("maxBytes").IsNumber())
                p.max_bytes = static_cast<size_t>(o.Get("maxBytes").As<Napi::Number>().DoubleValue());
        }
        jit_err e = jit_execmem_create(&p, &mem_);
        if (e != JIT_OK)
            ThrowJit(env, "ExecMem", e);
    }
    ~ExecMem() override { jit_execmem_destroy(mem_); }

private:
    jit_execmem *Live(Napi::Env env)
    {
        if (!mem_)
            throw Napi::Error::New(env, "ExecMem: closed");
        return mem_;
    }
    static uintptr_t Addr(Napi::Env env, const Napi::Value &v)
    {
        if (!v.IsBigInt())
            throw Napi::TypeError::New(env, "ExecMem: address must be a bigint");
        bool lossless = false;
        uint64_t a = v.As<Napi::BigInt>().Uint64Value(&lossless);
        return static_cast<uintptr_t>(a);
    }
    Napi::Value Alloc(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!info.Length() || !info[0].IsNumber())
            throw Napi::TypeError::New(env, "ExecMem.alloc(size, align?)");
        size_t size = static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue());
        size_t align = info.Length() > 1 && info[1].IsNumber()
                           ? static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue())
                           : 16;
        jit_code code;
        jit_err e = jit_execmem_alloc(Live(env), size, align, &code);
        if (e != JIT_OK)
            ThrowJit(env, "ExecMem.alloc", e);
        Napi::Object o = Napi::Object::New(env);
        o.Set("rx", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(code.rx))));
        o.Set("rw", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(code.rw))));
        o.Set("size", static_cast<double>(code.size));
        return o;
    }
    // write(rx, bytes): copy machine code in (begin_write/end_write around it).
    Napi::Value Write(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (info.Length() < 2 || !info[1].IsTypedArray())
            throw Napi::TypeError::New(env, "ExecMem.write(rx, Uint8Array)");
        void *rx = reinterpret_cast<void *>(Addr(env, info[0]));
        Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
        jit_code code;
        jit_err e = jit_execmem_query(Live(env), rx, &code);
        if (e == JIT_OK && (code.rx != rx || bytes.ByteLength() > code.size))
            e = JIT_ERR_OUT_OF_RANGE;
        if (e == JIT_OK)
            e = jit_execmem_begin_write(mem_, rx, bytes.ByteLength());
        if (e == JIT_OK) {
            std::memcpy(code.rw, bytes.Data(), bytes.ByteLength());
            e = jit_execmem_end_write(mem_, rx, bytes.ByteLength());
        }
        if (e != JIT_OK)
            ThrowJit(env, "ExecMem.write", e);
        return env.Undefined();
    }
    Napi::Value Free(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!info.Length())
            throw Napi::TypeError::New(env, "ExecMem.free(rx)");
        jit_err e = jit_execmem_free(Live(env), reinterpret_cast<void *>(Addr(env, info[0])));
        if (e != JIT_OK)
            ThrowJit(env, "ExecMem.free", e);
        return env.Undefined();
    }
    Napi::Value Stats(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        struct jit_execmem_stats s; // "struct": a function has the same name
        jit_err e = jit_execmem_stats(Live(env), &s);
        if (e != JIT_OK)
            ThrowJit(env, "ExecMem.stats", e);
        return StatsToJs(env, s);
    }
    Napi::Value Close(const Napi::CallbackInfo &info)
    {
        jit_execmem_destroy(mem_);
        mem_ = nullptr;
        return info.Env().Undefined();
    }
    Napi::Value Mode(const Napi::CallbackInfo &info)
    {
        if (!mem_)
            return info.Env().Null();
        jit_execmem_mode m = jit_execmem_get_mode(mem_);
        return Napi::String::New(info.Env(), m == JIT_EXECMEM_DUAL_MAP   ? "dual_map"
                                             : m == JIT_EXECMEM_MPROTECT ? "mprotect"
                                                                         : "rwx");
    }
    jit_execmem *mem_ = nullptr;
};
#endif


#ifdef MATRIX_HAVE_COPYJIT
// One allocator and one builder per addon instance (per worker thread): the
// fuzz tests run thousands of programs, so nothing is re-created per call.
struct CopyjitState {
    jit_execmem *mem = nullptr;
    cj_builder *builder = nullptr;
    ~CopyjitState()
    {
        cj_builder_destroy(builder);
        jit_execmem_destroy(mem);
    }
};

CopyjitState &State(Napi::Env env)
{
    CopyjitState *st = env.GetInstanceData<CopyjitState>();
    if (!st) {
        st = new CopyjitState();
        env.SetInstanceData(st);
    }
    if (!st->mem) {
        jit_execmem_params p{};
        jit_err e = jit_execmem_create(&p, &st->mem);
        if (e != JIT_OK)
            ThrowJit(env, "copyjit: jit_execmem_create", e);
    }
    if (!st->builder) {
        jit_err e = cj_init();
        if (e != JIT_OK)
            ThrowJit(env, "copyjit: cj_init (a template failed its checks)", e);
        cj_builder_params bp{};
        e = cj_builder_create(&bp, &st->builder);
        if (e != JIT_OK)
            ThrowJit(env, "copyjit: cj_builder_create", e);
    }
    return *st;
}

cj_word WordOpt(Napi::Env env, const Napi::Object &o, const char *key)
{
    Napi::Value v = o.Get(key);
    if (v.IsUndefined())
        return 0;
    if (v.IsBigInt()) {
        bool lossless;
        return v.As<Napi::BigInt>().Uint64Value(&lossless);
    }
    if (v.IsNumber())
        return static_cast<cj_word>(v.As<Napi::Number>().Int64Value());
    throw Napi::TypeError::New(env, std::string("copyjitRun: ") + key + " must be a bigint or number");
}

// copyjitRun(text, {a, x, y, o, outCap, timeoutS}) -> result object.
Napi::Value CopyjitRun(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (!info.Length() || !info[0].IsString())
        throw Napi::TypeError::New(env, "copyjitRun(text, options?)");
    std::string text = info[0].As<Napi::String>().Utf8Value();
    Napi::Object opt = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>()
                                                                 : Napi::Object::New(env);
    CopyjitState &st = State(env);
    cj_builder_reset(st.builder);
    cj_parse_error perr{};
    jit_err e = cj_parse(st.builder, text.data(), text.size(), &perr);
    if (e != JIT_OK) {
        Napi::Error err = Napi::Error::New(env, "copyjit parse error at line " + std::to_string(perr.line) +
                                                    ": " + perr.msg);
        err.Set("line", Napi::Number::New(env, perr.line));
        err.Set("code", Napi::Number::New(env, e));
        throw err;
    }
    cj_program *prog = nullptr;
    e = cj_builder_finish(st.builder, st.mem, &prog);
    if (e != JIT_OK)
        ThrowJit(env, "copyjit: cj_builder_finish", e);
    size_t out_cap = opt.Get("outCap").IsNumber()
                         ? static_cast<size_t>(opt.Get("outCap").As<Napi::Number>().Uint32Value())
                         : 1024;
    std::vector<cj_word> out(out_cap ? out_cap : 1);
    cj_run r{};
    r.a = WordOpt(env, opt, "a");
    r.x = WordOpt(env, opt, "x");
    r.y = WordOpt(env, opt, "y");
    r.o = WordOpt(env, opt, "o");
    r.out = out.data();
    r.out_cap = out_cap;
    r.timeout_s = opt.Get("timeoutS").IsNumber() ? opt.Get("timeoutS").As<Napi::Number>().Uint32Value() : 5;
    e = cj_program_run(prog, &r);
    size_t code_bytes = cj_program_code_size(prog);
    cj_program_free(prog);
    if (e != JIT_OK)
        ThrowJit(env, "copyjit: cj_program_run", e);
    Napi::Object o = Napi::Object::New(env);
    o.Set("status", cj_status_name(r.status));
    o.Set("a", Napi::BigInt::New(env, static_cast<uint64_t>(r.ra)));
    o.Set("x", Napi::BigInt::New(env, static_cast<uint64_t>(r.rx)));
    o.Set("y", Napi::BigInt::New(env, static_cast<uint64_t>(r.ry)));
    o.Set("o", Napi::BigInt::New(env, static_cast<uint64_t>(r.ro)));
    o.Set("sp", r.sp);
    Napi::Array outs = Napi::Array::New(env, r.out_n);
    for (size_t i = 0; i < r.out_n && i < out_cap; i++)
        outs.Set(static_cast<uint32_t>(i), Napi::BigInt::New(env, static_cast<uint64_t>(out[i])));
    o.Set("out", outs);
    o.Set("outHash", cj_hash_words(CJ_HASH_INIT, out.data(), r.out_n < out_cap ? r.out_n : out_cap));
    o.Set("memHash", r.mem_hash);
    o.Set("codeBytes", static_cast<double>(code_bytes));
    o.Set("fault", r.status == CJ_STATUS_CRASH ? Napi::Value(Napi::String::New(env, r.fault.desc)) : env.Null());
    return o;
}

// Statistics of the allocator copyjitRun uses (every program is freed after
// its run, so allocations go back to 0 between calls).
Napi::Value ExecmemStats(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    CopyjitState &st = State(env);
    struct jit_execmem_stats s;
    jit_err e = jit_execmem_stats(st.mem, &s);
    if (e != JIT_OK)
        ThrowJit(env, "execmemStats", e);
    Napi::Object o = StatsToJs(env, s);
    o.Set("mode", jit_execmem_mode_name(jit_execmem_get_mode(st.mem)));
    return o;
}
#endif

Napi::Value BuildInfo(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    smc_cpu_info c;
    smc_cpu_identify(0, &c);
    o.Set("arch", c.arch);
    o.Set("napiVersion", NAPI_VERSION);
#ifdef MATRIX_HAVE_JIT_CORE
    o.Set("jitCore", true);
    o.Set("icacheMethod", jit_icache_method());
#else
    o.Set("jitCore", false);
    o.Set("icacheMethod", env.Null());
#endif
#ifdef MATRIX_HAVE_COPYJIT
    o.Set("copyjit", true);
    o.Set("missing", "");
#else
    o.Set("copyjit", false);
    o.Set("missing", MATRIX_ADDON_COPYJIT_MISSING);
#endif
    o.Set("smcStrategies", static_cast<double>(smc_strategy_count()));
    return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
    exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
    exports.Set("smcStrategies", Napi::Function::New(env, Strategies, "smcStrategies"));
    exports.Set("runSmc", Napi::Function::New(env, RunSmc, "runSmc"));
    exports.Set("runSmcAsync", Napi::Function::New(env, RunSmcAsync, "runSmcAsync"));
    exports.Set("emitChoice", Napi::Function::New(env, EmitChoice, "emitChoice"));
    exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
#ifdef MATRIX_HAVE_JIT_CORE
    exports.Set("ExecMem", ExecMem::Init(env));
#endif
#ifdef MATRIX_HAVE_COPYJIT
    exports.Set("copyjitRun", Napi::Function::New(env, CopyjitRun, "copyjitRun"));
    exports.Set("execmemStats", Napi::Function::New(env, ExecmemStats, "execmemStats"));
#endif
    return exports;
}

} // namespace

NODE_API_MODULE(matrix_addon, Init)

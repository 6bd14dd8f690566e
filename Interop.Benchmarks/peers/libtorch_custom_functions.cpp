// libtorch's peers of Interop's Functions: the five maps of the problem set as C++ torch::autograd::Function
// subclasses with hand-written backward, against the same maps composed of built-in operations (autograd), forward+
// backward, counted in instructions under callgrind as `bench --instructions` counts Interop (docs/benchmarks.md,
// "Instructions per call"). Built and run by ./libtorch_custom_functions next to this file, against Debian's
// libtorch-dev (1.13). Before counting, every hand-written backward is checked against autograd of its composite.
//
// Counting: after a warm-up, pairs of blocks of n and 5n calls are each counted from zeroed counters to a dump
// (callgrind's client requests), instrumentation on only while they run; a pair's difference over 4n is one call,
// every thread included, and the median over five pairs is reported.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/version.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;
using at::Tensor;

// y = exp(−β x): ∂E/∂x_i = −β g_i y_i, ∂E/∂β = −Σ_i g_i x_i y_i.
struct Exponential : Function<Exponential> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& beta) {
        auto y = at::exp(-beta * x);
        ctx->save_for_backward({x, beta, y});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &beta = saved[1], &y = saved[2];
        auto gy = grads[0] * y;
        return {ctx->needs_input_grad(0) ? -beta * gy : Tensor(), ctx->needs_input_grad(1) ? -(x * gy).sum() : Tensor()};
    }
};

// y_i = k_i x_i along the last dimension: ∂E/∂x_i = k_i g_i, ∂E/∂k_i = Σ_batch g_i x_i.
struct ComponentScaling : Function<ComponentScaling> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& k) {
        ctx->save_for_backward({x, k});
        return k * x;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &k = saved[1];
        const auto& g = grads[0];
        return {ctx->needs_input_grad(0) ? k * g : Tensor(),
                ctx->needs_input_grad(1) ? (g * x).sum_to_size(k.sizes()) : Tensor()};  // sums the batch dimensions away
    }
};

// y_i = k x_i: ∂E/∂x_i = k g_i, ∂E/∂k = Σ_i g_i x_i.
struct GlobalScaling : Function<GlobalScaling> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& k) {
        ctx->save_for_backward({x, k});
        return k * x;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &k = saved[1];
        const auto& g = grads[0];
        return {ctx->needs_input_grad(0) ? k * g : Tensor(), ctx->needs_input_grad(1) ? (g * x).sum() : Tensor()};
    }
};

// y_i = exp(−β x_i) / Σ_j exp(−β x_j): with u_j = y_j (g_j − Σ_i g_i y_i), ∂E/∂x_j = −β u_j, ∂E/∂β = −Σ_j x_j u_j.
struct Softmax : Function<Softmax> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& beta) {
        auto y = at::softmax(-beta * x, -1);
        ctx->save_for_backward({x, beta, y});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &beta = saved[1], &y = saved[2];
        const auto& g = grads[0];
        auto u = y * (g - (g * y).sum(-1, true));
        return {ctx->needs_input_grad(0) ? -beta * u : Tensor(), ctx->needs_input_grad(1) ? -(x * u).sum() : Tensor()};
    }
};

// y = −(1/β) log Σ_j exp(−β x_j): with p = softmax(−β x), ∂E/∂x_j = g p_j, ∂E/∂β = Σ_rows g (Σ_j p_j x_j − y) / β.
struct LogSum : Function<LogSum> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& beta) {
        auto y = -at::logsumexp(-beta * x, {-1}) / beta;
        ctx->save_for_backward({x, beta, y});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &beta = saved[1], &y = saved[2];
        const auto& g = grads[0];
        auto p = at::softmax(-beta * x, -1);
        return {ctx->needs_input_grad(0) ? g.unsqueeze(-1) * p : Tensor(),
                ctx->needs_input_grad(1) ? (g * ((p * x).sum(-1) - y)).sum() / beta : Tensor()};
    }
};

// y = x through a custom Function that does no arithmetic: the fixed cost of libtorch's C++ custom-Function node.
struct PassThrough : Function<PassThrough> {
    static Tensor forward(AutogradContext*, const Tensor& x) { return x.view_as(x); }
    static variable_list backward(AutogradContext*, variable_list grads) { return {grads[0]}; }
};

using Map = std::function<Tensor(const Tensor&, const Tensor&)>;

struct Module {
    std::string name;
    Map hand_written;
    Map composite;
};

// The composites as Interop.Reference.AutogradTwins writes them.
const std::vector<Module> modules = {
    {"Exponential", [](auto& x, auto& b) { return Exponential::apply(x, b); }, [](auto& x, auto& b) { return at::exp(-b * x); }},
    {"ComponentScaling", [](auto& x, auto& k) { return ComponentScaling::apply(x, k); }, [](auto& x, auto& k) { return k * x; }},
    {"GlobalScaling", [](auto& x, auto& k) { return GlobalScaling::apply(x, k); }, [](auto& x, auto& k) { return k * x; }},
    {"Softmax", [](auto& x, auto& b) { return Softmax::apply(x, b); }, [](auto& x, auto& b) { return at::softmax(-b * x, -1); }},
    {"LogSum", [](auto& x, auto& b) { return LogSum::apply(x, b); }, [](auto& x, auto& b) { return -at::logsumexp(-b * x, {-1}) / b; }},
};

// x and the parameter as leaves that require grad, and a fixed g = ∂E/∂y, as Interop.Benchmarks' Workload.
struct Workload {
    Tensor x, parameter, g;

    Workload(const Module& module, std::vector<int64_t> shape, at::ScalarType dtype, uint64_t seed) {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
        x = at::randn(shape, generator, at::TensorOptions().dtype(dtype)).requires_grad_();
        if (module.name == "ComponentScaling") {
            int64_t n = shape.back();
            auto spread = n == 1 ? at::zeros({1}, at::kDouble) : at::linspace(-0.25, 0.25, n, at::kDouble);
            parameter = ((spread + 1) * 1.3).to(dtype).requires_grad_();
        } else {
            parameter = at::scalar_tensor(1.3, at::TensorOptions().dtype(dtype)).requires_grad_();
        }
        at::NoGradGuard no_grad;
        g = at::randn(module.composite(x, parameter).sizes(), generator, at::TensorOptions().dtype(dtype));
    }

    void forward_backward(const Map& map) const {
        auto y = map(x, parameter);
        torch::autograd::grad({y}, {x, parameter}, {g});
    }

    void pass_through(bool custom) const {
        auto y = custom ? PassThrough::apply(x) : x.view_as(x);
        torch::autograd::grad({y}, {x}, {y});
    }
};

void check_backward() {
    for (const auto& module : modules) {
        Workload w(module, {3, 5}, at::kDouble, 2);
        auto hand = torch::autograd::grad({module.hand_written(w.x, w.parameter)}, {w.x, w.parameter}, {w.g});
        auto composite = torch::autograd::grad({module.composite(w.x, w.parameter)}, {w.x, w.parameter}, {w.g});
        for (size_t i = 0; i < hand.size(); i++) {
            if (!at::allclose(hand[i], composite[i], 1e-12, 1e-12))
                throw std::runtime_error(module.name + ": the hand-written backward differs from autograd's");
        }
    }
}

int dumps = 0;

long long total_instructions(const std::string& file) {
    std::ifstream dump(file);
    for (std::string line; std::getline(dump, line);) {
        if (line.rfind("totals:", 0) == 0) {
            std::remove(file.c_str());
            return std::stoll(line.substr(7));
        }
    }
    throw std::runtime_error("no totals line in " + file + ": run under valgrind --tool=callgrind with INTEROP_CALLGRIND_OUT_FILE set");
}

// Counts one block of calls from zeroed counters to a dump; returns the dump's path, read once instrumentation is off.
std::string block(const std::function<void()>& call, int calls) {
    const char* out_file = std::getenv("INTEROP_CALLGRIND_OUT_FILE");
    if (out_file == nullptr)
        throw std::runtime_error("INTEROP_CALLGRIND_OUT_FILE is not set");
    CALLGRIND_ZERO_STATS;
    for (int i = 0; i < calls; i++)
        call();
    CALLGRIND_DUMP_STATS_AT("block");
    return std::string(out_file) + "." + std::to_string(++dumps);
}

// The median over pairs of (longer − shorter) / 4n, as Interop.Benchmarks' InstructionCounter, instrumented only
// while the blocks run.
double per_call(const std::function<void()>& call, int calls = 100, int pairs = 5) {
    for (int i = 0; i < 20; i++)
        call();
    std::vector<std::pair<std::string, std::string>> counted;
    CALLGRIND_START_INSTRUMENTATION;
    block(call, calls / 5);
    for (int pair = 0; pair < pairs; pair++) {
        auto shorter = block(call, calls / 5);
        counted.emplace_back(shorter, block(call, calls));
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    std::vector<double> figures;
    for (const auto& [shorter, longer] : counted)
        figures.push_back(double(total_instructions(longer) - total_instructions(shorter)) / (calls - calls / 5));
    std::sort(figures.begin(), figures.end());
    return figures[pairs / 2];
}

int main() {
    try {
        check_backward();
        at::set_num_threads(1);
        if (!RUNNING_ON_VALGRIND) {
            std::cerr << "run this under valgrind --tool=callgrind (see ./libtorch_custom_functions)\n";
            return 2;
        }
        std::printf("Instructions per forward+backward (`torch::autograd::grad` of <g, y> with respect to x and the parameter), in thousands:\n");
        std::printf("valgrind --tool=callgrind, every thread counted, libtorch %s (Debian, C++), float32, at::set_num_threads(1). Each figure is the\n", TORCH_VERSION);
        std::printf("median of 5 pairs of blocks of 20 and 100 calls, the pair differenced.\n\n");
        std::printf("| pass-through | x | k instructions |\n|---|---|--:|\n");
        for (std::vector<int64_t> shape : {std::vector<int64_t>{8}, std::vector<int64_t>{4096}}) {
            std::string x = "[" + std::to_string(shape[0]) + "]";
            Workload first(modules[0], shape, at::kFloat, 1);
            std::printf("| built-in view_as | %s | %.1f |\n", x.c_str(), per_call([&] { first.pass_through(false); }) / 1000);
            std::printf("| C++ autograd::Function | %s | %.1f |\n", x.c_str(), per_call([&] { first.pass_through(true); }) / 1000);
        }
        std::printf("\n| module | x | hand-written k | composite k | ratio |\n|---|---|--:|--:|--:|\n");
        for (std::vector<int64_t> shape : {std::vector<int64_t>{8}, std::vector<int64_t>{4096}}) {
            std::string x = "[" + std::to_string(shape[0]) + "]";
            for (const auto& module : modules) {
                Workload w(module, shape, at::kFloat, 1);
                double hand = per_call([&] { w.forward_backward(module.hand_written); });
                double composite = per_call([&] { w.forward_backward(module.composite); });
                std::printf("| %s | %s | %.1f | %.1f | **%.2f** |\n", module.name.c_str(), x.c_str(), hand / 1000, composite / 1000, hand / composite);
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}

// Host tests of the kernels' bodies: sample_run.cuh (a tile's whole sampling run, d4j_sample's body) and
// train_tile.cuh (a tile's share of a training step, d4j_train's body, and the tree over the tiles of
// d4j_train_update), compiled for the host, blocks of one thread and tiles of 4, and run on the
// reference engine's vectors (native-tests/vectors/sampling.txt and training.txt, written by KernelVectorsTest):
//
//   sampling: every sampler on every process it supports, with a network and with the exact mixture (v and x0
//             prediction for ddim and dpm-solver++), from isotropic and skewed priors; the final positions within
//             2e-4 (1 + |ref|) (K <= 20 float32 updates, the cpu engine's bound)
//   training: every objective (eps, v and x0 prediction among them) on every process it supports and conditional
//             networks; the loss within 1e-5 relative,
//             the gradient per tensor within 1e-4 max |ref| (the cpu engine's bounds)
//
// Plain C++17; exit status 1 on failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "network.cuh"
#include "sample_run.cuh"
#include "train_tile.cuh"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const std::string& what) {
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL %s\n", what.c_str());
    }
}

float bits(const std::string& hex) {
    uint32_t b = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}

std::vector<float> read_floats(std::istream& in, const char* label) {
    std::string word;
    std::size_t n = 0;
    in >> word >> n;
    if (word != label) {
        std::printf("FAIL vector file: expected '%s', read '%s'\n", label, word.c_str());
        std::exit(1);
    }
    std::vector<float> v(n);
    for (auto& x : v) {
        in >> word;
        x = bits(word);
    }
    return v;
}

std::vector<int> read_ints(std::istream& in, const char* label) {
    std::string word;
    std::size_t n = 0;
    in >> word >> n;
    if (word != label) {
        std::printf("FAIL vector file: expected '%s', read '%s'\n", label, word.c_str());
        std::exit(1);
    }
    std::vector<int> v(n);
    for (auto& x : v) {
        in >> x;
    }
    return v;
}

std::vector<double> read_doubles(std::istream& in, const char* label) {
    std::string word;
    std::size_t n = 0;
    in >> word >> n;
    if (word != label) {
        std::printf("FAIL vector file: expected '%s', read '%s'\n", label, word.c_str());
        std::exit(1);
    }
    std::vector<double> v(n);
    for (auto& x : v) {
        in >> x;
    }
    return v;
}

std::string dir_of(const char* argv0) {
    const char* env = std::getenv("D4J_VECTOR_DIR");
    if (env != nullptr) {
        return env;
    }
    std::string self(argv0);
    std::size_t slash = self.rfind('/');
    return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/../vectors";
}

/** A network of a sampling case: descriptor, parameters, and the time terms of every slot. */
struct Loaded {
    bool present = false;
    d4j::Net net{};
    std::vector<float> params;
    std::vector<float> tt;
};

Loaded read_net(std::istream& in) {
    Loaded n;
    std::string word;
    int present = 0;
    in >> word >> present;
    n.present = present != 0;
    if (n.present) {
        std::vector<int> desc = read_ints(in, "desc");
        std::memcpy(&n.net, desc.data(), sizeof(d4j::Net));
        n.params = read_floats(in, "params");
    }
    return n;
}

/** The time terms of every slot, with net_time_terms as d4j_time_terms runs it. */
void time_terms(Loaded& n, const std::vector<float>& times) {
    if (!n.present) {
        return;
    }
    d4j::TapeLayout L = d4j::tape_layout(n.net);
    n.tt.assign(times.size() * n.net.time_width, 0.0f);
    std::vector<float> scratch(n.net.tape, 0.0f);
    for (std::size_t s = 0; s < times.size(); ++s) {
        d4j::Strided tp{scratch.data(), 1};
        d4j::net_time_terms(n.net, n.params.data(), times[s], tp.at(L.f), tp.at(L.time_pre),
                            d4j::Strided{n.tt.data() + s * n.net.time_width, 1});
    }
}

/**
 * The precisions' tolerances against the reference (EngineAgreementTest derives them): fp32 and tf32x3 (products off by
 * at most 2^-21, eight float32 roundings) share float32's; tf32 (operands rounded to 11 significant bits) has its own.
 */
struct Tolerance {
    int precision;
    const char* name;
    double sample, loss, gradient;
};
const Tolerance PRECISIONS[] = {{d4j::PRECISION_FP32, "fp32", 2e-4, 1e-5, 1e-4},
                                {d4j::PRECISION_TF32X3, "tf32x3", 2e-4, 1e-5, 1e-4},
                                {d4j::PRECISION_TF32, "tf32", 1e-2, 1e-2, 2e-2}};

/** The worst sampling error of each precision over the vectors (tf32 must be measurably worse than tf32x3). */
double worst_sampling[3];

void sampling(const std::string& path, const Tolerance& tol) {
    std::ifstream in(path);
    check(static_cast<bool>(in), "cannot open " + path);
    if (!in) {
        return;
    }
    std::string line, word, name;
    std::getline(in, line);
    int cases = 0;
    in >> word >> cases;
    for (int c = 0; c < cases; ++c) {
        in >> word >> name;
        Loaded score = read_net(in);
        Loaded flow = read_net(in);
        score.net.precision = tol.precision;
        flow.net.precision = tol.precision;
        name = std::string(tol.name) + " " + name;
        std::vector<float> times = read_floats(in, "times");
        std::vector<float> affine = read_floats(in, "affine");
        std::vector<float> means = read_floats(in, "means");
        std::vector<float> slots = read_floats(in, "slots");
        std::vector<int> plan = read_ints(in, "plan");
        int use_score = 0, use_velocity = 0, keeps = 0;
        std::string gs, gu;
        unsigned long long seed = 0;
        in >> word >> use_score >> use_velocity >> keeps >> word >> gs >> gu;
        std::vector<float> prior = read_floats(in, "prior");
        in >> word >> seed;
        std::vector<int> labels = read_ints(in, "labels");
        std::vector<float> values = read_floats(in, "values");
        std::vector<double> ref = read_doubles(in, "ref");
        time_terms(score, times);
        time_terms(flow, times);
        int n = static_cast<int>(labels.size());
        d4j::SampleArgs a{};
        a.score = d4j::Field{score.params.data(), score.tt.data(), affine.empty() ? nullptr : affine.data(), bits(gs), score.present ? 1 : 0,
                             score.net};
        a.flow = d4j::Field{flow.params.data(), flow.tt.data(), nullptr, bits(gu), flow.present ? 1 : 0, flow.net};
        a.means = means.empty() ? nullptr : means.data();
        a.mixture_slots = slots.data();
        a.components = static_cast<int>(means.size() / 2);
        a.labels = labels.data();
        a.values = values.data();
        a.plan = reinterpret_cast<const d4j::Update*>(plan.data());
        a.updates = static_cast<int>(plan.size() * sizeof(int) / sizeof(d4j::Update));
        a.keeps = keeps;
        a.prior = d4j::Prior{prior[0], prior[1], prior[2], prior[3], prior[4]};
        a.seed = seed;
        a.use_score = use_score;
        a.use_velocity = use_velocity;
        // a block of one thread, tiles of TILE_RP particles (the last one partly filled when n is not a multiple),
        // run as one launch and as two chunks of the particles
        std::vector<float> xy(2 * n, 0.0f);
        std::vector<float> chunked(2 * n, 0.0f);
        for (int pass = 0; pass < 2; ++pass) {
            int chunk = pass == 0 ? n : (n + 1) / 2;
            for (int first = 0; first < n; first += chunk) {
                a.first = first;
                a.count = std::min(chunk, n - first);
                a.tile = d4j::TILE_RP;
                a.threads = 1;
                a.xy = (pass == 0 ? xy.data() : chunked.data()) + 2 * first;
                std::vector<float> smem(static_cast<std::size_t>(d4j::sample_shared_bytes(a) / 4), 0.0f);
                d4j::TileShape shape = d4j::tile_shape(a.tile, a.threads);
                for (long long t = 0; t * a.tile < a.count; ++t) {
                    d4j::sample_tile(a, d4j::Block{0, 1}, shape, smem.data(), t);
                }
            }
        }
        double worst = 0;
        int bad = 0;
        for (int i = 0; i < n; ++i) {
            for (int o = 0; o < 2; ++o) {
                double r = ref[2 * i + o];
                double e = std::fabs(xy[2 * i + o] - r) / (1 + std::fabs(r));
                worst = std::fmax(worst, e);
                bad += !(e <= tol.sample);
            }
        }
        check(std::memcmp(xy.data(), chunked.data(), xy.size() * sizeof(float)) == 0, "sampling " + name + ": chunked run bit-identical");
        char buf[256];
        std::snprintf(buf, sizeof buf, "sampling %s: worst relative error %.3g", name.c_str(), worst);
        check(bad == 0, buf);
        worst_sampling[tol.precision] = std::fmax(worst_sampling[tol.precision], worst);
    }
}

void training(const std::string& path, const Tolerance& tol) {
    std::ifstream in(path);
    check(static_cast<bool>(in), "cannot open " + path);
    if (!in) {
        return;
    }
    std::string line, word, name;
    std::getline(in, line);
    int cases = 0;
    in >> word >> cases;
    for (int c = 0; c < cases; ++c) {
        in >> word >> name;
        std::vector<int> desc = read_ints(in, "desc");
        d4j::Net net;
        std::memcpy(&net, desc.data(), sizeof(d4j::Net));
        net.precision = tol.precision;
        name = std::string(tol.name) + " " + name;
        std::vector<float> P = read_floats(in, "params");
        std::vector<int> tensors = read_ints(in, "tensors");
        std::vector<double> data = read_doubles(in, "data");
        std::vector<int> labels = read_ints(in, "labels");
        std::vector<float> values = read_floats(in, "values");
        int kind = 0, steps = 0;
        double pp[5];
        in >> word >> kind >> steps >> pp[0] >> pp[1] >> pp[2] >> pp[3] >> pp[4];
        std::vector<double> table = read_doubles(in, "table");
        int okind = 0;
        double wmin = 0, wmax = 0;
        in >> word >> okind >> wmin >> wmax;
        unsigned long long seed = 0;
        int batch = 0;
        double dropout = 0;
        in >> word >> seed >> word >> batch >> word >> dropout;
        double ref_loss = 0;
        in >> word >> ref_loss;
        std::vector<double> ref = read_doubles(in, "grad");
        int points = static_cast<int>(data.size() / 2);
        d4j::TrainArgs a{};
        a.P = P.data();
        a.data = data.data();
        a.labels = labels.empty() ? nullptr : labels.data();
        a.values = values.empty() ? nullptr : values.data();
        a.seed = seed;
        a.step = 0;
        a.dropout = dropout;
        a.proc = d4j::Proc{kind, steps, pp[0], pp[1], pp[2], pp[3], pp[4], table.empty() ? nullptr : table.data()};
        a.obj = d4j::Obj{okind, wmin, wmax};
        a.points = points;
        a.batch = batch;
        a.tile = d4j::TRAIN_LEAF;
        a.threads = 1;
        a.net = net;
        int tiles = (batch + a.tile - 1) / a.tile;
        // NaN everywhere first: a parameter the tile code leaves unwritten fails the comparison
        std::vector<float> partials(static_cast<std::size_t>(tiles) * P.size(), std::nanf(""));
        std::vector<double> loss_partials(2 * static_cast<std::size_t>(tiles), std::nan(""));
        a.partials = partials.data();
        a.loss_partials = loss_partials.data();
        std::vector<float> smem(static_cast<std::size_t>(d4j::train_shared_bytes(a) / 4), 0.0f);
        d4j::TileShape shape = d4j::tile_shape_padded(a.tile, a.threads);
        for (int t = 0; t < tiles; ++t) {
            d4j::train_tile(a, d4j::Block{0, 1}, shape, smem.data(), t);
        }
        double totals[2];
        d4j::loss_totals(loss_partials.data(), tiles, totals);
        double weights = totals[0];
        double residuals = totals[1];
        std::vector<double> sum(P.size(), 0.0);
        for (std::size_t k = 0; k < P.size(); ++k) {
            sum[k] = d4j::gradient_total(partials.data(), static_cast<long long>(P.size()), tiles, static_cast<long long>(k));
        }
        double loss = residuals / (2 * weights);
        char buf[256];
        std::snprintf(buf, sizeof buf, "training %s: loss %.9g vs reference %.9g", name.c_str(), loss, ref_loss);
        check(std::fabs(loss - ref_loss) <= tol.loss * std::fabs(ref_loss), buf);
        for (std::size_t t = 0; t < tensors.size() / 2; ++t) {
            int from = tensors[2 * t];
            int size = tensors[2 * t + 1];
            double max = 0;
            double err = 0;
            for (int k = from; k < from + size; ++k) {
                max = std::fmax(max, std::fabs(ref[k]));
                err = std::fmax(err, std::fabs(sum[k] / weights - ref[k]));
            }
            std::snprintf(buf, sizeof buf, "training %s: tensor %zu gradient off by %.3g (max %.3g)", name.c_str(), t, err, max);
            check(err <= tol.gradient * max + 1e-12, buf);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    (void) argc;
    std::string dir = dir_of(argv[0]);
    for (const Tolerance& tol : PRECISIONS) {
        sampling(dir + "/sampling.txt", tol);
        training(dir + "/training.txt", tol);
    }
    char buf[256];
    std::snprintf(buf, sizeof buf, "tf32's worst sampling error %.3g is at least 16 x tf32x3's %.3g (fp32 %.3g)", worst_sampling[d4j::PRECISION_TF32],
                  worst_sampling[d4j::PRECISION_TF32X3], worst_sampling[d4j::PRECISION_FP32]);
    check(worst_sampling[d4j::PRECISION_TF32] >= 16 * worst_sampling[d4j::PRECISION_TF32X3], buf);
    std::printf("%s\n", buf);
    std::printf("%s: %d checks, %d failures\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}

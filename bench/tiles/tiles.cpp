// The predicted bounds of the tile kernels per preset on an H200, from the kernels' own layout code (sample_run.cuh,
// train_tile.cuh) and the presets' descriptors (bench/tiles/presets.txt, written by PresetShapesTest):
//
//   tiles PRESETS_FILE SAMPLE_REGS TRAIN_REGS
//
// Per preset and launch: the launch shape the engine picks (the first of the file's shapes whose dynamic shared
// memory fits in 227 KiB), its shared memory, the blocks per SM that registers, shared memory and threads allow,
// and per particle-step (sampling) or per training sample: useful FLOPs (2 J K per layer), executed FLOPs (the
// passes' padded rows), shared-memory bytes moved (wavefronts of 128 B per warp access, the model below) and global
// (L2 / HBM) bytes; then the bound each implies and the predicted fraction of the FP32 roofline. Every figure is
// predicted, none measured.
//
// Shared-memory model of a tile GEMM pass, per warp and k: the warp's 32 threads hold `cols` (= tp / 4) columns and
// 32 / cols row groups (or 32 columns of one row group); the activation loads are cols distinct 16-byte vectors and
// the weight loads (32 / cols) distinct ones (broadcast within a row group): ceil(bytes / 128) wavefronts each, for
// 32 x 16 FMAs. The weight gradient: gradient_smem_bytes_per_fma.
//
// The tensor-core paths (precision tf32 and tf32x3, tile.cuh's tile_layer_mma and train_tile.cuh's
// tile_weight_gradient_mma), a second table: per layer the kernels' own choice (tensor_layer) and, for a tensor layer,
// the mma count of the warps' tile assignment (the padded 16 x 8 tiles, one mma per k8 group, three for tf32x3;
// weight gradients one m16n8k4 per leaf of 4 samples) against the dense TF32 rate (495 TFLOP/s), the FP32 pipe's share
// (the layers left on it, the leaves' tree adds, the biases), and shared-memory wavefronts counted from the fragment
// loads' addresses (each load instruction of 32 lanes: the largest number of distinct addresses in one bank), with the
// fragment reuse of the warps' consecutive tiles. Predicted, none measured.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "sample_run.cuh"
#include "train_tile.cuh"

namespace {

constexpr double FP32 = 67e12;                     // FLOP/s, H200 FP32 (non-tensor)
constexpr double HBM = 4.8e12;                     // B/s
constexpr double SMEM = 132.0 * 128.0 * 1.98e9;    // B/s: 132 SMs x 128 B/clk x 1.98 GHz
constexpr long long SMEM_PER_BLOCK = 227 * 1024;   // opt-in limit per block
constexpr long long SMEM_PER_SM = 228 * 1024;      // per SM, 1 KiB of it reserved per block
constexpr int REGS_PER_SM = 65536;
constexpr double TF32 = 495e12;                    // FLOP/s, H200 dense TF32 tensor cores

struct Shape {
    int tile, threads;
};

struct Net {
    std::string role;
    d4j::Net net;
};

struct Preset {
    std::string name;
    int batch, updates;
    std::vector<Net> nets;
};

/** A layer GEMM's work: J outputs, K inputs. */
struct Gemm {
    int J, K;
};

/** The wavefront bytes per FMA of the tile GEMM at a shape (model in the file comment). */
double gemm_smem_bytes_per_fma(const d4j::TileShape& s) {
    int cols = std::min(s.cols, 32);
    int groups = 32 / cols;
    double act = std::ceil(cols * 16.0 / 128.0);
    double w = std::ceil(groups * 16.0 / 128.0);
    return (act + w) * 128.0 / (32.0 * 16.0);
}

/**
 * The weight gradient's wavefront bytes per FMA (tile_weight_gradient): per warp and leaf of 4 samples, 4 row loads of
 * dz (at most 4 distinct vectors: 1 wavefront each) and 4 row loads of a (32 distinct vectors in distinct banks: 4
 * wavefronts each), for 32 x 64 FMAs.
 */
double gradient_smem_bytes_per_fma() {
    return (4.0 * 1 + 4.0 * 4) * 128.0 / (32.0 * 64.0);
}

/** The forward GEMMs of a network as the sampling tile runs them (first layer without its time columns). */
std::vector<Gemm> forward_gemms(const d4j::Net& n, bool sampling) {
    std::vector<Gemm> g;
    int in0 = sampling ? d4j::tile_input_rows(n) : n.in_width;
    if (n.body == d4j::BODY_PLAIN) {
        int k = in0;
        for (int i = 0; i < n.layers; ++i) {
            g.push_back({n.width[i], k});
            k = n.width[i];
        }
        g.push_back({2, k});
        return g;
    }
    int H = n.width[0];
    int F = d4j::time_features(n);
    if (!sampling && F > 0) {
        g.push_back({H, F});
        g.push_back({H, H});
    }
    g.push_back({H, n.in_width});
    for (int b = 0; b < n.layers; ++b) {
        g.push_back({H, H});
        g.push_back({H, H});
    }
    g.push_back({H / 2, H});
    g.push_back({2, H / 2});
    return g;
}

struct Work {
    double useful = 0, executed = 0, smem = 0, global = 0;
};

/** A tile GEMM's work per particle at a shape: padded rows, shared and weight bytes. */
void add_gemm(Work& w, const Gemm& g, const d4j::TileShape& s) {
    int rows = ((g.J + s.rows - 1) / s.rows) * s.rows;
    int ks = ((g.K + d4j::TILE_KS - 1) / d4j::TILE_KS) * d4j::TILE_KS;
    w.useful += 2.0 * g.J * g.K;
    w.executed += 2.0 * rows * g.K;
    w.smem += rows * static_cast<double>(g.K) * gemm_smem_bytes_per_fma(s);
    w.smem += 4.0 * rows * ks / s.tp;        // the staged slices' stores
    w.smem += 4.0 * rows;                    // the epilogue's stores
    w.global += 4.0 * rows * ks / s.tp;      // the weights, once per tile (L2)
}

Work sampling_work(const Preset& p, const d4j::TileShape& s) {
    Work w;
    for (const Net& n : p.nets) {
        for (const Gemm& g : forward_gemms(n.net, true)) {
            add_gemm(w, g, s);
        }
    }
    return w;
}

Work training_work(const Preset& p, const d4j::TileShape& s) {
    Work w;
    const d4j::Net& n = p.nets[0].net;
    std::vector<Gemm> f = forward_gemms(n, false);
    for (const Gemm& g : f) {
        add_gemm(w, g, s);                                  // forward
        add_gemm(w, Gemm{g.K, g.J}, s);                     // dx = W^T dz (counted for every layer: an upper bound)
        double fma = static_cast<double>(g.J) * (g.K + 1);  // delta^T a and the bias
        w.useful += 2.0 * fma;
        w.executed += 2.0 * fma;
        w.smem += fma * gradient_smem_bytes_per_fma();
    }
    // the tile's gradient partial (written) and its share of the update (partials read; P, m, v, grad)
    double params = n.params;
    w.global += 4.0 * params / s.tp * 2 + 4.0 * 5 * params / p.batch;
    return w;
}

// ------------------------------------------------------------------------------------------ tensor-core paths

/** Wavefronts of one warp load: lanes' word addresses; the most distinct addresses falling in one of the 32 banks. */
int wavefronts(const std::vector<long long>& words) {
    int worst = 1;
    for (int bank = 0; bank < 32; ++bank) {
        std::vector<long long> seen;
        for (long long a : words) {
            if (((a % 32) + 32) % 32 == bank && std::find(seen.begin(), seen.end(), a) == seen.end()) {
                seen.push_back(a);
            }
        }
        worst = std::max(worst, static_cast<int>(seen.size()));
    }
    return worst;
}

/**
 * A fragment load's wavefronts: lane (g = lane / 4, t = lane % 4) reads word 2t * row + g (row: floats between k rows;
 * lane t's k indices t and t + 4 read k rows 2t and 2t + 1 of the group, tile.cuh's MMA_K_ROW).
 */
int fragment_wavefronts(int row) {
    std::vector<long long> w;
    for (int lane = 0; lane < 32; ++lane) {
        w.push_back(static_cast<long long>(d4j::MMA_K_ROW[lane % 4]) * row + lane / 4);
    }
    return wavefronts(w);
}

/** The weight gradient's fragment loads: lane reads word g * ld + t (rows of dz or a, samples t of a leaf). */
int gradient_fragment_wavefronts(int ld) {
    std::vector<long long> w;
    for (int lane = 0; lane < 32; ++lane) {
        w.push_back(static_cast<long long>(lane / 4) * ld + lane % 4);
    }
    return wavefronts(w);
}

struct TensorWork {
    double useful = 0, tensor = 0, fp32 = 0, smem = 0, global = 0;
};

/** A tile GEMM's work per particle at a shape and precision (tile_layer's choice, tile_layer_mma's assignment). */
void add_gemm_tensor(TensorWork& w, const Gemm& g, const d4j::TileShape& s) {
    d4j::Layer L = d4j::dense(nullptr, g.K, g.J);
    if (!d4j::tensor_layer(s.precision, L)) {
        Work f;
        add_gemm(f, g, s);
        w.useful += f.useful;
        w.fp32 += f.executed;
        w.smem += f.smem;
        w.global += f.global;
        return;
    }
    const int rows = s.rows - s.rows % d4j::MMA_M;
    const int stride = rows + d4j::MMA_SLICE_PAD;
    const int mtiles = rows / d4j::MMA_M;
    const int ntiles = s.tp / d4j::MMA_N;
    const int tiles = mtiles * ntiles;
    const bool by_column = s.ld == s.tp;
    const int warps = tiles / 4 + (tiles % 4 != 0);
    const int groups = (g.K + d4j::MMA_K - 1) / d4j::MMA_K;
    const int ks = ((g.K + d4j::TILE_KS - 1) / d4j::TILE_KS) * d4j::TILE_KS;
    const int mmas_per_step = s.precision == d4j::PRECISION_TF32X3 ? 3 : 1;
    const double wa = fragment_wavefronts(stride);
    const double wb = fragment_wavefronts(s.ld);
    double mmas = 0, wave = 0;
    int passes = 0;
    for (int jp = 0; jp < g.J; jp += rows, ++passes) {
        for (int warp = 0; warp < warps; ++warp) {
            int wr = -1, xc = -1;
            for (int i = 0; i < 4; ++i) {
                int tile = 4 * warp + i;
                int r0 = (by_column ? tile % mtiles : tile / ntiles) * d4j::MMA_M;
                int c0 = (by_column ? tile / mtiles : tile % ntiles) * d4j::MMA_N;
                if (tile >= tiles || jp + r0 >= g.J) {
                    continue;
                }
                if (r0 != wr) {
                    wave += 4 * wa * groups;  // 4 loads of A per k8 group
                    wr = r0;
                }
                if (c0 != xc) {
                    wave += 2 * wb * groups;  // 2 loads of B
                    xc = c0;
                }
                mmas += groups;
            }
        }
    }
    w.useful += 2.0 * g.J * g.K;
    w.tensor += mmas * mmas_per_step * 2.0 * d4j::MMA_M * d4j::MMA_N * d4j::MMA_K / s.tp;
    w.smem += wave * 128.0 / s.tp;
    w.smem += 4.0 * passes * rows * ks / s.tp;  // the staged slices' stores
    w.smem += 4.0 * passes * rows;              // the epilogue's stores
    w.global += 4.0 * passes * rows * ks / s.tp;
}

/** The weight gradient of a J x K tensor per sample (tile_weight_gradient's choice) and its bias. */
void add_gradient_tensor(TensorWork& w, const Gemm& g, const d4j::TileShape& s) {
    double fma = static_cast<double>(g.J) * (g.K + 1);
    w.useful += 2.0 * fma;
    if (!d4j::tensor_layer(s.precision, d4j::dense(nullptr, g.K, g.J))) {
        w.fp32 += 2.0 * fma;
        w.smem += fma * gradient_smem_bytes_per_fma();
        return;
    }
    double tiles = static_cast<double>((g.J + 15) / 16) * ((g.K + 7) / 8);
    int mmas_per_leaf = s.precision == d4j::PRECISION_TF32X3 ? 3 : 1;
    // per sample: tiles x (1 / 4 leaf) m16n8k4 steps; A 2 loads and B 1 per leaf
    w.tensor += tiles * mmas_per_leaf * 2.0 * 16 * 8 * 4 / d4j::TRAIN_LEAF;
    w.smem += tiles * 3.0 * gradient_fragment_wavefronts(s.ld) * 128.0 / d4j::TRAIN_LEAF;
    w.fp32 += tiles * 16 * 8 / static_cast<double>(d4j::TRAIN_LEAF) + 2.0 * g.J;  // the leaves' tree adds, the bias
    w.smem += 8.0 * g.J;                                                         // the bias's reads
}

TensorWork sampling_work_tensor(const Preset& p, const d4j::TileShape& s) {
    TensorWork w;
    for (const Net& n : p.nets) {
        for (const Gemm& g : forward_gemms(n.net, true)) {
            add_gemm_tensor(w, g, s);
        }
    }
    return w;
}

TensorWork training_work_tensor(const Preset& p, const d4j::TileShape& s) {
    TensorWork w;
    const d4j::Net& n = p.nets[0].net;
    for (const Gemm& g : forward_gemms(n, false)) {
        add_gemm_tensor(w, g, s);
        add_gemm_tensor(w, Gemm{g.K, g.J}, s);
        add_gradient_tensor(w, g, s);
    }
    double params = n.params;
    w.global += 4.0 * params / s.tp * 2 + 4.0 * 5 * params / p.batch;
    return w;
}

void tensor_row(const char* what, const Preset& p, const Shape& sh, const char* precision, const TensorWork& w, const char* unit) {
    double tensor = w.tensor > 0 ? TF32 / w.tensor : INFINITY;
    double fp32 = w.fp32 > 0 ? FP32 / w.fp32 : INFINITY;
    double smem = SMEM / w.smem;
    double hbm = HBM / w.global;
    double bound = std::min(std::min(tensor, fp32), std::min(smem, hbm));
    const char* by = bound == tensor ? "tensor" : bound == fp32 ? "fp32" : bound == smem ? "smem" : "global";
    std::printf("| %s | %s | %s | %d x %d | %.3g | %.3g | %.3g | %.0f | %.0f | %.3g | %.3g | %.3g | %.3g | %.3g %s (%s) | %.0f%% |\n", p.name.c_str(),
                what, precision, sh.tile, sh.threads, w.useful, w.tensor, w.fp32, w.smem, w.global, tensor, fp32, smem, hbm, bound, unit, by,
                100.0 * bound * w.useful / TF32);
}

int blocks_per_sm(long long shared, int threads, int regs) {
    int by_smem = static_cast<int>(SMEM_PER_SM / (shared + 1024));
    int regs_per_thread = (regs + 7) / 8 * 8;
    int by_regs = REGS_PER_SM / (regs_per_thread * ((threads + 31) / 32 * 32));
    int by_threads = 2048 / threads;
    return std::max(0, std::min(std::min(by_smem, by_regs), std::min(by_threads, 32)));
}

void row(const char* what, const Preset& p, const Shape& sh, long long shared, int regs, const Work& w, const char* unit) {
    int blocks = blocks_per_sm(shared, sh.threads, regs);
    double fp32 = FP32 / w.executed;
    double smem = SMEM / w.smem;
    double hbm = HBM / w.global;
    double bound = std::min(fp32, std::min(smem, hbm));
    const char* by = bound == fp32 ? "fp32" : bound == smem ? "smem" : "global";
    std::printf("| %s | %s | %d x %d | %lld | %d | %.3g | %.3g | %.0f | %.0f | %.3g | %.3g | %.3g | %.3g %s (%s) | %.0f%% |\n", p.name.c_str(), what,
                sh.tile, sh.threads, shared / 1024, blocks, w.useful, w.executed, w.smem, w.global, fp32, smem, hbm, bound, unit, by,
                100.0 * bound * w.useful / FP32);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: tiles PRESETS_FILE SAMPLE_REGS TRAIN_REGS\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    int sample_regs = std::atoi(argv[2]);
    int train_regs = std::atoi(argv[3]);
    std::string line, word;
    std::getline(in, line);
    int count = 0;
    in >> word >> count;
    std::vector<Shape> shapes(count);
    for (Shape& s : shapes) {
        in >> s.tile >> s.threads;
    }
    in >> word >> count;
    std::vector<Preset> presets(count);
    for (Preset& p : presets) {
        int nets = 0;
        in >> word >> p.name >> p.batch >> p.updates >> nets;
        p.nets.resize(nets);
        for (Net& n : p.nets) {
            int ints = 0;
            in >> word >> n.role >> ints;
            std::vector<int> d(ints);
            for (int& v : d) {
                in >> v;
            }
            std::memcpy(&n.net, d.data(), sizeof(d4j::Net));
        }
    }
    std::printf("| preset | launch | tile x threads | shared KiB | blocks/SM | useful FLOP | executed FLOP | shared B | global B | "
                "FP32 bound | shared bound | global bound | predicted | FP32 roofline |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const Preset& p : presets) {
        d4j::SampleArgs a{};
        for (std::size_t f = 0; f < p.nets.size() && f < 2; ++f) {
            d4j::Field& fd = p.nets[f].role == "flow" ? a.flow : a.score;
            fd.present = 1;
            fd.guidance = 1.0f;
            fd.net = p.nets[f].net;
        }
        a.use_score = a.score.present;
        a.use_velocity = a.flow.present;
        for (const Shape& sh : shapes) {
            a.tile = sh.tile;
            a.threads = sh.threads;
            long long bytes = d4j::sample_shared_bytes(a);
            if (bytes <= SMEM_PER_BLOCK) {
                row("sampling, per particle-step", p, sh, bytes, sample_regs, sampling_work(p, d4j::tile_shape(sh.tile, sh.threads)),
                    "particle-steps/s");
                break;
            }
        }
        d4j::TrainArgs t{};
        t.net = p.nets[0].net;
        for (const Shape& sh : shapes) {
            t.tile = sh.tile;
            t.threads = sh.threads;
            long long bytes = d4j::train_shared_bytes(t);
            if (bytes <= SMEM_PER_BLOCK) {
                row("training, per sample", p, sh, bytes, train_regs, training_work(p, d4j::tile_shape_padded(sh.tile, sh.threads)), "samples/s");
                break;
            }
        }
    }
    std::printf("\nThe tensor-core paths at the same launch shapes (dense TF32 495 TFLOP/s, FP32 67 TFLOP/s for what stays on the FP32 pipe;"
                " predicted, not measured):\n\n");
    std::printf("| preset | launch | precision | tile x threads | useful FLOP | tensor FLOP | FP32-pipe FLOP | shared B | global B | "
                "tensor bound | FP32 bound | shared bound | global bound | predicted | of dense TF32 |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    const struct {
        int code;
        const char* name;
    } precisions[] = {{d4j::PRECISION_TF32, "tf32"}, {d4j::PRECISION_TF32X3, "tf32x3"}};
    for (const Preset& p : presets) {
        for (const auto& pr : precisions) {
            d4j::SampleArgs a{};
            for (std::size_t f = 0; f < p.nets.size() && f < 2; ++f) {
                d4j::Field& fd = p.nets[f].role == "flow" ? a.flow : a.score;
                fd.present = 1;
                fd.guidance = 1.0f;
                fd.net = p.nets[f].net;
                fd.net.precision = pr.code;
            }
            a.use_score = a.score.present;
            a.use_velocity = a.flow.present;
            for (const Shape& sh : shapes) {
                a.tile = sh.tile;
                a.threads = sh.threads;
                if (d4j::sample_shared_bytes(a) <= SMEM_PER_BLOCK && d4j::tile_shape_valid_for(sh.tile, sh.threads, pr.code)) {
                    tensor_row("sampling, per particle-step", p, sh, pr.name,
                               sampling_work_tensor(p, d4j::with_precision(d4j::tile_shape(sh.tile, sh.threads), pr.code)), "particle-steps/s");
                    break;
                }
            }
            d4j::TrainArgs t{};
            t.net = p.nets[0].net;
            t.net.precision = pr.code;
            for (const Shape& sh : shapes) {
                t.tile = sh.tile;
                t.threads = sh.threads;
                if (d4j::train_shared_bytes(t) <= SMEM_PER_BLOCK && d4j::tile_shape_valid_for(sh.tile, sh.threads, pr.code)) {
                    tensor_row("training, per sample", p, sh, pr.name,
                               training_work_tensor(p, d4j::with_precision(d4j::tile_shape_padded(sh.tile, sh.threads), pr.code)), "samples/s");
                    break;
                }
            }
        }
    }
    return 0;
}

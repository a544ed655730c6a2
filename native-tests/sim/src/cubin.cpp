// The kernels of a fatbin: the sm_90 ELF image (cubin) inside it, and per kernel its parameters, registers and
// static shared memory.
//
// Fatbin: a header {u32 magic 0xBA55ED50, u16 version, u16 header size, u64 size of the entries}, then entries
// {u16 kind (1 PTX, 2 ELF), u16 version, u32 header size, u64 payload size, ..., u32 arch at +28, ...} each
// followed by its payload. Cubin: an ELF64 image whose kernels are the FUNC symbols with STO_CUDA_ENTRY (0x10)
// in st_other; per kernel:
//   .nv.info.<k>     records {u8 format, u8 attribute, payload}: EIATTR_KPARAM_INFO (0x17) per parameter
//                    {u32 index, u16 ordinal, u16 offset, u32 flags: size in bytes = flags >> 18},
//                    EIATTR_CBANK_PARAM_SIZE (0x19, the bytes of all parameters)
//   .nv.info         EIATTR_REGCOUNT (0x2f) {u32 symbol index, u32 registers}
//   .nv.shared.<k>   NOBITS section: its size is the kernel's static shared memory (plus the 1 KiB the system
//                    reserves per block, where the cubin refers to .nv.reservedSmem)
#include <cstring>
#include <map>

#include "sim.h"

namespace sim {

namespace {

constexpr uint32_t FATBIN_MAGIC = 0xBA55ED50u;
constexpr uint16_t ENTRY_ELF = 2;
constexpr uint8_t STO_CUDA_ENTRY = 0x10;
constexpr uint8_t EIFMT_SVAL = 4;
constexpr uint8_t EIATTR_KPARAM_INFO = 0x17;
constexpr uint8_t EIATTR_CBANK_PARAM_SIZE = 0x19;
constexpr uint8_t EIATTR_REGCOUNT = 0x2f;

template <typename T>
T read(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

bool is_elf(const uint8_t* p) {
    return p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F' && p[4] == 2;  // ELFCLASS64
}

/** The sm_90 ELF image of a fatbin, or null (detail says why). */
const uint8_t* find_sm90(const uint8_t* fatbin, std::string& detail) {
    uint16_t header = read<uint16_t>(fatbin + 6);
    uint64_t size = read<uint64_t>(fatbin + 8);
    const uint8_t* entry = fatbin + header;
    const uint8_t* end = entry + size;
    std::string archs;
    while (entry + 32 <= end) {
        uint16_t kind = read<uint16_t>(entry);
        uint32_t entry_header = read<uint32_t>(entry + 4);
        uint64_t payload = read<uint64_t>(entry + 8);
        uint32_t arch = read<uint32_t>(entry + 28);
        if (kind == ENTRY_ELF) {
            archs += (archs.empty() ? "sm_" : ", sm_") + std::to_string(arch);
            if (arch == 90) {
                const uint8_t* elf = entry + entry_header;
                if (!is_elf(elf)) {
                    detail = "the fatbin's sm_90 image is not a plain ELF (compressed? build with -Xfatbin -compress-all=false)";
                    return nullptr;
                }
                return elf;
            }
        }
        entry += entry_header + payload;
    }
    detail = "the fatbin holds no sm_90 cubin (it has " + (archs.empty() ? std::string("none") : archs)
             + "); the simulated GPU runs sm_90 code only";
    return nullptr;
}

struct Section {
    std::string name;
    uint32_t type;
    uint64_t offset;
    uint64_t size;
    uint32_t link;
    uint32_t info;
    uint64_t entsize;
};

}  // namespace

Result parse_image(const void* image, std::vector<CubinKernel>& out, std::string& detail) {
    const uint8_t* p = static_cast<const uint8_t*>(image);
    const uint8_t* elf = nullptr;
    if (read<uint32_t>(p) == FATBIN_MAGIC) {
        elf = find_sm90(p, detail);
        if (elf == nullptr) {
            return detail.find("no sm_90") != std::string::npos ? NO_BINARY_FOR_GPU : INVALID_IMAGE;
        }
    } else if (is_elf(p)) {
        elf = p;
    } else {
        detail = "the image is neither a fatbin nor a cubin (PTX is not run by the simulated GPU)";
        return INVALID_IMAGE;
    }
    uint64_t shoff = read<uint64_t>(elf + 0x28);
    uint16_t shentsize = read<uint16_t>(elf + 0x3a);
    uint16_t shnum = read<uint16_t>(elf + 0x3c);
    uint16_t shstrndx = read<uint16_t>(elf + 0x3e);
    std::vector<Section> sections(shnum);
    for (int i = 0; i < shnum; ++i) {
        const uint8_t* sh = elf + shoff + static_cast<uint64_t>(i) * shentsize;
        sections[i] = Section{"", read<uint32_t>(sh + 4), read<uint64_t>(sh + 24), read<uint64_t>(sh + 32),
                              read<uint32_t>(sh + 40), read<uint32_t>(sh + 44), read<uint64_t>(sh + 56)};
        sections[i].offset = read<uint64_t>(sh + 24);
    }
    const char* shstr = reinterpret_cast<const char*>(elf + sections[shstrndx].offset);
    const Section* symtab = nullptr;
    std::map<std::string, const Section*> by_name;
    for (int i = 0; i < shnum; ++i) {
        const uint8_t* sh = elf + shoff + static_cast<uint64_t>(i) * shentsize;
        sections[i].name = shstr + read<uint32_t>(sh);
        by_name[sections[i].name] = &sections[i];
        if (sections[i].type == 2) {  // SHT_SYMTAB
            symtab = &sections[i];
        }
    }
    if (symtab == nullptr) {
        detail = "the cubin has no symbol table";
        return INVALID_IMAGE;
    }
    // Registers per symbol index, from .nv.info.
    std::map<uint32_t, int> registers;
    auto records = [&](const Section* s, auto&& visit) {
        const uint8_t* b = elf + s->offset;
        uint64_t at = 0;
        while (at + 4 <= s->size) {
            uint8_t format = b[at];
            uint8_t attribute = b[at + 1];
            if (format == EIFMT_SVAL) {
                uint16_t n = read<uint16_t>(b + at + 2);
                visit(attribute, b + at + 4, n);
                at += 4 + n;
            } else {
                visit(attribute, b + at + 2, 2);
                at += 4;
            }
        }
    };
    auto info = by_name.find(".nv.info");
    if (info != by_name.end()) {
        records(info->second, [&](uint8_t attribute, const uint8_t* v, unsigned n) {
            if (attribute == EIATTR_REGCOUNT && n == 8) {
                registers[read<uint32_t>(v)] = static_cast<int>(read<uint32_t>(v + 4));
            }
        });
    }
    const char* strtab = reinterpret_cast<const char*>(elf + sections[symtab->link].offset);
    uint64_t symbols = symtab->size / 24;
    bool reserved_smem = false;
    for (uint64_t i = 0; i < symbols; ++i) {
        if (std::strcmp(strtab + read<uint32_t>(elf + symtab->offset + i * 24), ".nv.reservedSmem.offset0") == 0) {
            reserved_smem = true;
        }
    }
    for (uint64_t i = 0; i < symbols; ++i) {
        const uint8_t* sym = elf + symtab->offset + i * 24;
        uint8_t type = sym[4] & 0xf;
        uint8_t other = sym[5];
        if (type != 2 || (other & STO_CUDA_ENTRY) == 0) {  // STT_FUNC with STO_CUDA_ENTRY: a kernel
            continue;
        }
        CubinKernel k;
        k.name = strtab + read<uint32_t>(sym);
        k.registers = registers.count(static_cast<uint32_t>(i)) ? registers[static_cast<uint32_t>(i)] : 0;
        auto shared = by_name.find(".nv.shared." + k.name);
        if (shared != by_name.end()) {
            // With the system's reserved shared memory (symbol .nv.reservedSmem.offset0), sm_90 cubins start each
            // kernel's window with that 1 KiB; the driver counts it per block on its own (SHARED_RESERVED_PER_BLOCK).
            uint64_t size = shared->second->size;
            if (reserved_smem && size >= SHARED_RESERVED_PER_BLOCK) {
                size -= SHARED_RESERVED_PER_BLOCK;
            }
            k.static_shared = static_cast<unsigned>(size);
        }
        auto kinfo = by_name.find(".nv.info." + k.name);
        if (kinfo != by_name.end()) {
            records(kinfo->second, [&](uint8_t attribute, const uint8_t* v, unsigned n) {
                if (attribute == EIATTR_KPARAM_INFO && n == 12) {
                    unsigned ordinal = read<uint16_t>(v + 4);
                    unsigned offset = read<uint16_t>(v + 6);
                    unsigned size = read<uint32_t>(v + 8) >> 18;
                    if (k.params.size() <= ordinal) {
                        k.params.resize(ordinal + 1);
                    }
                    k.params[ordinal] = Param{offset, size};
                } else if (attribute == EIATTR_CBANK_PARAM_SIZE) {
                    k.param_bytes = read<uint16_t>(v);
                }
            });
        }
        out.push_back(std::move(k));
    }
    if (out.empty()) {
        detail = "the cubin has no kernels";
        return INVALID_IMAGE;
    }
    return SUCCESS;
}

}  // namespace sim

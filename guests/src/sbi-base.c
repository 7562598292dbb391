/*
 * SBI Base extension: spec version 2.0, implementation id/version, machine ids, probe_extension
 * for every extension vmtree serves (and 0 for an unknown one), NOT_SUPPORTED for unknown
 * function and extension ids.
 */
#include "guest.h"

#define BASE(fid, arg) sbi_call(SBI_EXT_BASE, fid, arg, 0, 0, 0, 0, 0)

int main(void)
{
    struct sbiret spec = BASE(0, 0);
    struct sbiret impl = BASE(1, 0);
    struct sbiret impl_version = BASE(2, 0);
    printf("sbi-base: spec 0x%lx impl %ld version 0x%lx\n", spec.value, impl.value, impl_version.value);
    check("get_spec_version error", spec.error, 0);
    check("get_impl_id error", impl.error, 0);
    check("get_impl_version error", impl_version.error, 0);
    int peer = sbi_peer_firmware();
    if (peer)
        check_true("spec version at least 0.2", spec.value >= 2 && (spec.value & 0x80000000UL) == 0);
    else
        check("spec version is 2.0", spec.value, 0x2000000);
    for (u64 fid = 4; fid <= 6; fid++)
        check("mvendorid/marchid/mimpid error", BASE(fid, 0).error, 0);

    static const struct { const char *name; u64 eid; } extensions[] = {
        {"TIME", SBI_EXT_TIME}, {"IPI", SBI_EXT_IPI}, {"RFENCE", SBI_EXT_RFENCE},
        {"HSM", SBI_EXT_HSM}, {"SRST", SBI_EXT_SRST}, {"DBCN", SBI_EXT_DBCN},
        {"legacy putchar", SBI_LEGACY_PUTCHAR}, {"legacy getchar", SBI_LEGACY_GETCHAR},
        {"BASE", SBI_EXT_BASE},
    };
    for (unsigned i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        struct sbiret r = BASE(3, extensions[i].eid);
        check(extensions[i].name, r.error, 0);
        if (peer && extensions[i].eid == SBI_EXT_DBCN) {
            printf("sbi-base: DBCN %s (firmware older than SBI 2.0)\n", r.value ? "present" : "absent");
            continue;
        }
        if (r.value == 0)
            printf("FAIL probe_extension %s reports absent\n", extensions[i].name);
        check_true("extension present", r.value != 0);
    }
    struct sbiret unknown = BASE(3, 0x0a0b0c0d);
    check("probe unknown extension error", unknown.error, 0);
    check("probe unknown extension value", unknown.value, 0);
    check("unknown base function", BASE(0x7f, 0).error, (u64)SBI_ERR_NOT_SUPPORTED);
    check("unknown extension", sbi_call(0x0a0b0c0d, 0, 0, 0, 0, 0, 0, 0).error, (u64)SBI_ERR_NOT_SUPPORTED);
    return finish("sbi-base");
}

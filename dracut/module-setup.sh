#!/bin/bash
# dracut module "flint": first-boot provisioning in the initramfs. Installed as
# modules.d/30flint; included only when asked for (dracut --add flint).
#
# The flint binary comes from $FLINT_BINARY, else from flint on $PATH, else /usr/bin/flint.

flint_binary() {
    if [[ -n ${FLINT_BINARY-} ]]; then
        echo "$FLINT_BINARY"
    elif command -v flint >/dev/null 2>&1; then
        command -v flint
    else
        echo /usr/bin/flint
    fi
}

check() {
    local bin
    bin=$(flint_binary)
    if [[ ! -x $bin ]]; then
        derror "flint: no flint binary at $bin (set FLINT_BINARY)"
        return 1
    fi
    # Only when asked for: provisioning is not something a host-only initramfs should grow.
    return 255
}

depends() {
    echo systemd systemd-initrd dracut-systemd udev-rules
    return 0
}

installkernel() {
    # The platforms' config channels and the devices a first boot formats: QEMU's fw_cfg,
    # virtio disks and network, and the filesystems and block layers the disks stage creates.
    hostonly='' instmods -c qemu_fw_cfg
    hostonly='' instmods virtio_pci virtio_blk virtio_scsi virtio_net \
        ext4 xfs btrfs vfat nls_cp437 nls_iso8859-1 \
        md_mod raid0 raid1 raid10 raid456 dm_mod dm_crypt
    # What dm-crypt asks the kernel's crypto API for with cryptsetup's defaults (aes-xts-plain64),
    # and the socket interface cryptsetup itself uses for keyslots. Built into some kernels,
    # modules in others (Debian's cloud kernel: xts, ecb, the AF_ALG ones, the x86 AES-NI and
    # SHA-256 drivers); the kernel loads them on demand, so they only have to be here.
    hostonly='' instmods xts ecb af_alg algif_skcipher algif_hash aesni_intel sha256_ssse3
}

install() {
    inst "$(flint_binary)" /usr/bin/flint
    # What the module's own scripts use.
    inst_multiple cat grep sed tail tr ln mkdir rm ls

    # What the stages run. Optional: a tool absent on the build host is simply not installed,
    # and a config that needs it fails with the stage saying what is missing.
    inst_multiple -o \
        mkfs.ext4 mkfs.ext3 mkfs.ext2 mke2fs e2fsck resize2fs tune2fs \
        mkfs.xfs xfs_growfs xfs_admin \
        mkfs.btrfs btrfs \
        mkfs.vfat mkfs.fat mkswap swaplabel \
        mdadm cryptsetup \
        sgdisk partx blkid wipefs blockdev \
        useradd usermod userdel groupadd groupmod groupdel chpasswd \
        mount umount sync systemctl journalctl networkctl

    # mdadm and cryptsetup wait for udev to name what they create: /dev/md/NAME comes from
    # mdadm's rules, /dev/mapper/NAME and the end of libdevmapper's wait from dmsetup's.
    if find_binary mdadm &>/dev/null; then
        inst_rules 01-md-raid-creating.rules 63-md-raid-arrays.rules
    fi
    if find_binary dmsetup &>/dev/null; then
        inst_multiple dmsetup
        # Debian's names, then the upstream ones.
        inst_rules 55-dm.rules 60-persistent-storage-dm.rules 95-dm-notify.rules \
            10-dm.rules 13-dm-disk.rules
    fi
    inst_rules "$moddir/59-flint-persist.rules"

    inst_script "$moddir/flint-generator" "$systemdutildir/system-generators/flint-generator"
    inst_script "$moddir/flint-failure" /usr/lib/flint/flint-failure
    inst_script "$moddir/flint-network" /usr/lib/flint/flint-network
    inst_script "$moddir/flint-firstboot-complete" /usr/lib/flint/flint-firstboot-complete

    local unit
    for unit in \
        flint-fetch-offline.service flint-fetch.service flint-network.service \
        flint-kargs.service flint-disks.service flint-remount-sysroot.service \
        flint-mount.service flint-files.service flint-firstboot-complete.service \
        flint-failure@.service \
        flint-complete.target flint-diskful.target \
        flint-subsequent.target flint-diskful-subsequent.target; do
        inst_simple "$moddir/$unit" "$systemdsystemunitdir/$unit"
    done
}

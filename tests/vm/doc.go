// Package vm holds flint's boot tests: real first boots in QEMU of a Debian root with a
// dracut-built initramfs that carries the flint module (dracut/).
//
// The tests build, once per test binary and cached on disk between runs ($FLINT_VM_CACHE,
// default /var/cache/flint-vm): Debian's cloud kernel (apt-get download), a debootstrapped
// bookworm root with systemd as a GPT disk image, the flint binary and an initramfs. Each boot
// reads the serial console line by line and waits for markers.
//
// Environment: CI=true makes missing prerequisites (root, QEMU, dracut, debootstrap, the
// kernel) fail the run instead of skipping; FLINT_VM_KVM=1 boots with KVM instead of TCG;
// FLINT_VM_TIMEOUT (a Go duration) bounds each boot. docs/initramfs.md describes the module.
package vm

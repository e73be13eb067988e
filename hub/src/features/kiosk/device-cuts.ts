// The channel on which the admin slice tells every hub process, on commit, to cut a kiosk device
// off (deactivated or re-keyed); each process LISTENs through watchKioskNotifications
// (code-changes.ts) and disconnects the device's sockets it holds (namespace.ts#cutDevice).
export const DEVICE_CUT_CHANNEL = 'xinbao_kiosk_device_cut';

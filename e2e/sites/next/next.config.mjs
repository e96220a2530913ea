// Next.js sample: a static export (no server), served by the test's static server under /next.
export default {
  output: 'export',
  basePath: '/next',
  images: { unoptimized: true },
  reactStrictMode: true,
};

import Link from 'next/link';

export default function Home() {
  return (
    <main>
      <h1>Next home</h1>
      <Link id="to-about" href="/about">About</Link> <Link id="to-p1" href="/products/1">Product 1</Link>
    </main>
  );
}
